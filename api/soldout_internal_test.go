package api

import "testing"

func TestQuickSlotID(t *testing.T) {
	for body, want := range map[string]int64{
		`{"slot_id":42,"phone":"13800138000","visitors":[]}`: 42,
		`{"phone":"1","slot_id" : 7 }`:                       7,
		`{"slot_id":42,"visitors":[{"slot_id":43}]}`:         0, // twice: decode it
		`{"slot_id":"42"}`:                                   0, // not a number
		`{"slot_id":4.2}`:                                    0,
		`{"slot_id":-4}`:                                     0,
		`{"slot_id":0}`:                                      0,
		`{"slot_id":1234567890123456789}`:                    0, // too long to be an id
		`{"name":"a\"slot_id\":5","slot_id":6}`:              6, // the key in a string does not count
		`{"xslot_id":5}`:                                     0,
		`{"phone":"1"}`:                                      0,
		``:                                                   0,
	} {
		got, ok := quickSlotID([]byte(body))
		if got != want || ok != (want != 0) {
			t.Errorf("%s: %d %v, want %d", body, got, ok, want)
		}
	}
}
