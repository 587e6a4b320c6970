package store

// SetReturning lets a test take the batch insert's path for a database
// without INSERT ... RETURNING (MySQL) on one that has it (MariaDB).
func (s *Store) SetReturning(on bool) { s.returning = on }
