package api

import (
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// staffListCSV is a day's bookings of a venue for the list at the entrance:
// names and masked IDs only, never a phone or a full ID number.
func (s *server) staffListCSV(c echo.Context) error {
	d, err := domain.ParseDate(c.QueryParam("date"))
	if err != nil {
		return domain.Invalid("date", domain.RuleDate)
	}
	v, bookings, err := s.Admin.StaffList(c.Request().Context(), SessionOf(c).User, c.Param("slug"), d)
	if err != nil {
		return err
	}
	loc := v.Location()
	rows := [][]string{csvHeader(c,
		[]string{"日期", "开始", "结束", "预约号", "预约状态", "人数", "序号", "姓名", "证件类型", "证件号码", "入场状态", "入场时间"},
		[]string{"date", "slot_start", "slot_end", "booking_number", "status", "party_size", "position", "name", "id_type", "id_masked", "person_status", "admitted_at"})}
	for _, b := range bookings {
		for _, vi := range b.Visitors {
			admitted := ""
			if !vi.AdmittedAt.IsZero() {
				admitted = vi.AdmittedAt.In(loc).Format("15:04:05")
			}
			rows = append(rows, []string{d.String(), b.Slot.Start.In(loc).Format("15:04"), b.Slot.End.In(loc).Format("15:04"),
				b.Number, string(b.Status), strconv.Itoa(b.PartySize), strconv.Itoa(vi.Position),
				CSVSafe(vi.Name), string(vi.IDType), vi.IDMasked, string(vi.Status), admitted})
		}
	}
	return writeCSV(c, fmt.Sprintf("%s-%s.csv", v.Slug, d), rows)
}

// CSVSafe keeps a name from being read as a formula by a spreadsheet.
func CSVSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
