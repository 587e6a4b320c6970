package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// LiveJSON is one venue of the live dashboard, as GET /api/v1/admin/live
// sends it and the dashboard page draws it first.
type LiveJSON struct {
	Venue     string         `json:"venue"`
	Name      nameJSON       `json:"name"`
	Inside    int            `json:"inside"`
	Capacity  int            `json:"capacity"`
	PerMinute []minuteJSON   `json:"admissions_per_minute"`
	Slots     []liveSlotJSON `json:"slots"`
	NoShows   int            `json:"no_shows"`
	Booked    int            `json:"booked_today"`
	Quota     int            `json:"quota_today"`
	Admitted  int            `json:"admitted_today"`
	// UTCOffsetMinutes is the venue's offset from UTC now: the charts label
	// their time axis in the venue's time, whatever the server's zone.
	UTCOffsetMinutes int `json:"utc_offset_minutes"`
}

type minuteJSON struct {
	Minute string `json:"minute"`
	People int    `json:"people"`
}

type liveSlotJSON struct {
	Start    string `json:"start"`
	End      string `json:"end"`
	Quota    int    `json:"quota"`
	Booked   int    `json:"booked"`
	Admitted int    `json:"admitted"`
	NoShows  int    `json:"no_shows"`
}

// LiveOut is the dashboard's data, shared by the JSON route and the page.
func LiveOut(c echo.Context, admin *domain.Admin) ([]LiveJSON, error) {
	venues, err := admin.Live(c.Request().Context(), SessionOf(c).User)
	if err != nil {
		return nil, err
	}
	out := make([]LiveJSON, len(venues))
	for i, l := range venues {
		loc := l.Venue.Location()
		o := LiveJSON{Venue: l.Venue.Slug, Name: nameJSON{l.Venue.NameZH, l.Venue.NameEN}, Inside: l.Occupancy.Inside,
			Capacity: l.Occupancy.Capacity, NoShows: l.NoShows, Booked: l.BookedDay, Quota: l.QuotaDay, Admitted: l.AdmitToday,
			PerMinute: make([]minuteJSON, len(l.PerMinute)), Slots: make([]liveSlotJSON, len(l.Slots))}
		_, off := admin.Now().In(loc).Zone()
		o.UTCOffsetMinutes = off / 60
		for j, m := range l.PerMinute {
			o.PerMinute[j] = minuteJSON{Minute: m.Minute.In(loc).Format(time.RFC3339), People: m.People}
		}
		for j, sl := range l.Slots {
			o.Slots[j] = liveSlotJSON{Start: sl.Start.In(loc).Format(time.RFC3339), End: sl.End.In(loc).Format(time.RFC3339),
				Quota: sl.Quota, Booked: sl.Booked, Admitted: sl.Admitted, NoShows: sl.NoShows}
		}
		out[i] = o
	}
	return out, nil
}

func (s *server) live(c echo.Context) error {
	out, err := LiveOut(c, s.Admin)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, out)
}
