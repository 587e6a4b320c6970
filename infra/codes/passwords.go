package codes

import "golang.org/x/crypto/bcrypt"

// Passwords implements domain.PasswordHasher with bcrypt.
type Passwords struct {
	// Cost is bcrypt's work factor; tests lower it to run fast.
	Cost int
}

// Hash hashes a password.
func (p Passwords) Hash(password string) (string, error) {
	cost := p.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	return string(h), err
}

// Check reports whether password matches hash, in constant time.
func (p Passwords) Check(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
