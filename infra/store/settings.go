package store

import (
	"context"

	"gorm.io/gorm/clause"
)

// Setting returns the stored value of name, storing generate() first if
// there is none. Instances racing to store one all read back the winner's.
func (s *Store) Setting(ctx context.Context, name string, generate func() (string, error)) (string, error) {
	db := s.db.WithContext(ctx)
	var row settingRow
	err := db.Where("name = ?", name).Limit(1).Find(&row).Error
	if err != nil {
		return "", s.fault("read setting "+name, err)
	}
	if row.Name != "" {
		return row.Value, nil
	}
	value, err := generate()
	if err != nil {
		return "", err
	}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&settingRow{Name: name, Value: value}).Error; err != nil {
		return "", s.fault("store setting "+name, err)
	}
	if err := db.Where("name = ?", name).Take(&row).Error; err != nil {
		return "", s.fault("read setting "+name, err)
	}
	return row.Value, nil
}
