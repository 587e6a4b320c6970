package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"slotgate/domain"
)

type userRow struct {
	ID           int64
	Username     string
	PasswordHash string
	Role         string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (userRow) TableName() string { return "users" }

type userVenueRow struct {
	UserID  int64
	VenueID int64
}

func (userVenueRow) TableName() string { return "user_venues" }

type sessionRow struct {
	TokenHash string `gorm:"primaryKey"`
	UserID    int64
	CreatedAt time.Time
	ExpiresAt int64
}

func (sessionRow) TableName() string { return "sessions" }

func (r userRow) user(venues []int64) domain.User {
	return domain.User{ID: r.ID, Username: r.Username, Role: domain.Role(r.Role), Disabled: r.Disabled,
		PasswordHash: r.PasswordHash, VenueIDs: venues}
}

// AddUser creates a user and its venue assignments in one transaction.
func (s *Store) AddUser(ctx context.Context, u domain.User) (domain.User, error) {
	row := userRow{Username: u.Username, PasswordHash: u.PasswordHash, Role: string(u.Role), Disabled: u.Disabled}
	err := s.transact(ctx, func(tx *gorm.DB) error {
		row.ID = 0
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		for _, v := range u.VenueIDs {
			if err := tx.Create(&userVenueRow{UserID: row.ID, VenueID: v}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if isViolationOf(err, idxUsersUsername) {
		return domain.User{}, &domain.Error{Code: domain.CodeConflict, Detail: "username taken"}
	}
	if err != nil {
		return domain.User{}, s.fault("add user", err)
	}
	return row.user(u.VenueIDs), nil
}

// UserByName finds a user with its venues.
func (s *Store) UserByName(ctx context.Context, username string) (domain.User, error) {
	var r userRow
	if err := s.db.WithContext(ctx).Where("LOWER(username) = ?", username).Take(&r).Error; err != nil {
		return domain.User{}, s.fault("find user", err)
	}
	venues, err := s.userVenues(ctx, r.ID)
	if err != nil {
		return domain.User{}, err
	}
	return r.user(venues), nil
}

func (s *Store) userVenues(ctx context.Context, userID int64) ([]int64, error) {
	var ids []int64
	if err := s.db.WithContext(ctx).Model(&userVenueRow{}).Where("user_id = ?", userID).
		Order("venue_id").Pluck("venue_id", &ids).Error; err != nil {
		return nil, s.fault("read user venues", err)
	}
	return ids, nil
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string) error {
	res := s.db.WithContext(ctx).Model(&userRow{}).Where("id = ?", userID).
		Updates(map[string]any{"password_hash": hash, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return s.fault("set password", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// AddSession stores a session under the hash of its token.
func (s *Store) AddSession(ctx context.Context, tokenHash string, userID int64, expires time.Time) error {
	err := s.db.WithContext(ctx).Create(&sessionRow{TokenHash: tokenHash, UserID: userID, ExpiresAt: expires.Unix()}).Error
	return s.faultOrNil("add session", err)
}

// SessionUser finds the unexpired session's user.
func (s *Store) SessionUser(ctx context.Context, tokenHash string, now time.Time) (domain.Session, error) {
	var sr sessionRow
	err := s.db.WithContext(ctx).Where("token_hash = ? AND expires_at > ?", tokenHash, now.Unix()).Take(&sr).Error
	if err != nil {
		return domain.Session{}, s.fault("find session", err)
	}
	var ur userRow
	if err := s.db.WithContext(ctx).Where("id = ?", sr.UserID).Take(&ur).Error; err != nil {
		return domain.Session{}, s.fault("find session user", err)
	}
	venues, err := s.userVenues(ctx, ur.ID)
	if err != nil {
		return domain.Session{}, err
	}
	return domain.Session{User: ur.user(venues), ExpiresAt: time.Unix(sr.ExpiresAt, 0)}, nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return s.faultOrNil("delete session", s.db.WithContext(ctx).Where("token_hash = ?", tokenHash).Delete(&sessionRow{}).Error)
}

// DeleteSessions ends every session of a user.
func (s *Store) DeleteSessions(ctx context.Context, userID int64) error {
	return s.faultOrNil("delete sessions", s.db.WithContext(ctx).Where("user_id = ?", userID).Delete(&sessionRow{}).Error)
}
