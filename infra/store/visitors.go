package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"slotgate/domain"
)

type visitorCodeRow struct {
	PhoneKey  string `gorm:"primaryKey"`
	OTPHash   string `gorm:"column:otp_hash"`
	Tries     int
	SentAt    int64
	ExpiresAt int64
}

func (visitorCodeRow) TableName() string { return "visitor_codes" }

type visitorSessionRow struct {
	TokenHash string `gorm:"primaryKey"`
	Phone     string
	CreatedAt time.Time
	ExpiresAt int64
}

func (visitorSessionRow) TableName() string { return "visitor_sessions" }

// PutSignInCode makes otpHash the phone's one live code, with its tries
// back at zero, unless a code went to the phone after resendAfter.
func (s *Store) PutSignInCode(ctx context.Context, phoneKey, otpHash string, now, expires, resendAfter time.Time) error {
	var soon *domain.TooSoonError
	err := s.transact(ctx, func(tx *gorm.DB) error {
		var r visitorCodeRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("phone_key = ?", phoneKey).Take(&r).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			return tx.Create(&visitorCodeRow{PhoneKey: phoneKey, OTPHash: otpHash, SentAt: now.Unix(), ExpiresAt: expires.Unix()}).Error
		case err != nil:
			return err
		case r.SentAt > resendAfter.Unix():
			soon = &domain.TooSoonError{RetryAt: time.Unix(r.SentAt, 0).Add(now.Sub(resendAfter))}
			return soon
		}
		return tx.Model(&visitorCodeRow{}).Where("phone_key = ?", phoneKey).
			Updates(map[string]any{"otp_hash": otpHash, "tries": 0, "sent_at": now.Unix(), "expires_at": expires.Unix()}).Error
	})
	if soon != nil {
		return soon
	}
	if _, dup := uniqueViolation(err); dup { // the primary key
		// Another request for the same phone inserted its code first.
		return &domain.TooSoonError{RetryAt: now.Add(now.Sub(resendAfter))}
	}
	return s.faultOrNil("put sign-in code", err)
}

// SpendSignInTry counts a try with a conditional update, so that parallel
// guesses cannot spend more tries than the code allows.
func (s *Store) SpendSignInTry(ctx context.Context, phoneKey string, now time.Time, maxTries int) (string, error) {
	res := s.db.WithContext(ctx).Model(&visitorCodeRow{}).
		Where("phone_key = ? AND tries < ? AND expires_at > ?", phoneKey, maxTries, now.Unix()).
		Update("tries", gorm.Expr("tries + 1"))
	if res.Error != nil {
		return "", s.fault("count sign-in try", res.Error)
	}
	if res.RowsAffected != 1 {
		return "", domain.ErrNotFound
	}
	var r visitorCodeRow
	if err := s.db.WithContext(ctx).Where("phone_key = ?", phoneKey).Take(&r).Error; err != nil {
		return "", s.fault("read sign-in code", err)
	}
	return r.OTPHash, nil
}

// DeleteSignInCode removes the phone's code.
func (s *Store) DeleteSignInCode(ctx context.Context, phoneKey string) error {
	return s.faultOrNil("delete sign-in code", s.db.WithContext(ctx).Where("phone_key = ?", phoneKey).Delete(&visitorCodeRow{}).Error)
}

// AddVisitorSession opens a visitor session; expired ones are swept on the way.
func (s *Store) AddVisitorSession(ctx context.Context, tokenHash, phone string, now, expires time.Time) error {
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at <= ?", now.Unix()).Delete(&visitorSessionRow{}).Error; err != nil {
		return s.fault("sweep visitor sessions", err)
	}
	if err := db.Where("expires_at <= ?", now.Unix()).Delete(&visitorCodeRow{}).Error; err != nil {
		return s.fault("sweep sign-in codes", err)
	}
	return s.faultOrNil("add visitor session", db.Create(&visitorSessionRow{TokenHash: tokenHash, Phone: phone,
		CreatedAt: now.UTC(), ExpiresAt: expires.Unix()}).Error)
}

// VisitorSession returns the phone of a live visitor session.
func (s *Store) VisitorSession(ctx context.Context, tokenHash string, now time.Time) (string, error) {
	var r visitorSessionRow
	if err := s.db.WithContext(ctx).Where("token_hash = ? AND expires_at > ?", tokenHash, now.Unix()).Take(&r).Error; err != nil {
		return "", s.fault("read visitor session", err)
	}
	return r.Phone, nil
}

// BookingsByPhone lists a phone's bookings with their persons, newest first.
func (s *Store) BookingsByPhone(ctx context.Context, phone string, limit int) ([]domain.Booking, error) {
	var rows []bookingRow
	if err := s.db.WithContext(ctx).Where("phone = ?", phone).Order("created_at DESC, id DESC").Limit(limit).
		Find(&rows).Error; err != nil {
		return nil, s.fault("list bookings of a phone", err)
	}
	return s.withVisitors(ctx, rows)
}
