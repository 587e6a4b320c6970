package web_test

import (
	"strconv"

	"slotgate/internal/testkit"
)

// The API's answers and bodies, as the API's own tests name them.
type (
	slotOut    = testkit.APISlot
	bookingOut = testkit.APIBooking
)

var (
	resident = testkit.Resident
	slots    = testkit.Slots
	body     = testkit.BookingBody
	setQuota = testkit.SetQuota
	wantPage = testkit.WantPage
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
