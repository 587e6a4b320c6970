package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// bookingBody is the body of POST /api/v1/bookings, as a visitor sends it.
type bookingBody struct {
	SlotID   int64         `json:"slot_id"`
	Phone    string        `json:"phone"`
	Visitors []visitorBody `json:"visitors"`
}

type visitorBody struct {
	Name     string `json:"name"`
	IDType   string `json:"id_type"`
	IDNumber string `json:"id_number"`
}

// crowd makes the visitors of one run: every person and every phone is
// distinct within the run, so that no request is refused as a duplicate
// and every request is a new visitor, as in a real flash crowd.
type crowd struct {
	stamp  string // the run, in passport numbers
	phones int    // phones handed out so that far
	base   int    // first phone number, after "13"
}

// newCrowd starts the visitors of run number run (the run's Unix time).
func newCrowd(run int64) *crowd {
	// Six base-36 digits of the run's time keep passports of different runs
	// apart, should rows of an earlier run be kept with -keep.
	stamp := strings.ToUpper(strconv.FormatInt(run%2176782336, 36)) // 36^6
	stamp = strings.Repeat("0", 6-len(stamp)) + stamp
	return &crowd{stamp: stamp, base: int(run % 500_000_000)}
}

// bodies makes count booking bodies of party people each for slot. Phase
// is one letter, distinct per phase, that keeps the phases' people apart:
// they all book the same venue on the same day.
func (c *crowd) bodies(slotID int64, phase byte, count, party int) [][]byte {
	out := make([][]byte, count)
	for i := range count {
		b := bookingBody{SlotID: slotID, Phone: c.phone(), Visitors: make([]visitorBody, party)}
		for j := range party {
			person := i*party + j
			b.Visitors[j] = visitorBody{
				Name:   fmt.Sprintf("Bench Visitor %c%d", phase, person),
				IDType: "passport",
				// Passports are 5 to 17 upper-case letters and digits: here 16.
				IDNumber: fmt.Sprintf("B%s%c%08d", c.stamp, phase, person),
			}
		}
		out[i], _ = json.Marshal(b)
	}
	return out
}

// phone hands out the next mainland mobile number: 13 and nine digits.
func (c *crowd) phone() string {
	n := (c.base + c.phones) % 1_000_000_000
	c.phones++
	return fmt.Sprintf("13%09d", n)
}
