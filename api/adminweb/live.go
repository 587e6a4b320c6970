package adminweb

import (
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/api/pages"
)

// --- The live dashboard ---

type adminLiveData struct {
	Now    string         // the server's clock, which the charts' time axis ends at
	Venues []api.LiveJSON // what GET /api/v1/admin/live answers, for the first drawing
	Cards  []adminLiveCard
	Total  adminLiveCard
}

type adminLiveCard struct {
	Slug, Name, DayURL                                 string
	Inside, Capacity, Admitted, Booked, Quota, NoShows int
}

func (s *server) adminLive(c echo.Context, v *adminView) (string, error) {
	live, err := api.LiveOut(c, s.Admin)
	if err != nil {
		return "", err
	}
	now := s.Clock.Now()
	// The page's clock is written in the venues' time (the first venue's
	// zone), not the server's, so that its offset labels the time axis.
	shown := now
	if venues, err := s.Catalog.Venues(c.Request().Context()); err == nil && len(venues) > 0 {
		shown = now.In(venues[0].Location())
	}
	data := adminLiveData{Now: shown.Format(time.RFC3339), Venues: live}
	for _, l := range live {
		name := l.Name.ZH
		if v.Lang == api.EN {
			name = l.Name.EN
		}
		card := adminLiveCard{Slug: l.Venue, Name: name, Inside: l.Inside, Capacity: l.Capacity, Admitted: l.Admitted,
			Booked: l.Booked, Quota: l.Quota, NoShows: l.NoShows}
		if ven, err := s.Catalog.Venue(c.Request().Context(), l.Venue); err == nil {
			card.DayURL = dayURL(ven.Slug, ven.Today(now))
		}
		data.Cards = append(data.Cards, card)
		data.Total.Inside += card.Inside
		data.Total.Capacity += card.Capacity
		data.Total.Admitted += card.Admitted
		data.Total.Booked += card.Booked
		data.Total.Quota += card.Quota
		data.Total.NoShows += card.NoShows
	}
	v.Title, v.Page, v.Data = v.tr("实时看板", "Live dashboard"), "live", data
	v.Texts = pages.JSTexts(map[string]string{
		"updated":   v.tr("更新于 %s", "Updated %s"),
		"stale":     v.tr("连接中断，显示的是 %s 的数据，正在重试…", "Connection lost; showing data from %s, retrying…"),
		"inside":    v.tr("馆内 %d 人，上限 %d 人", "%d inside of %d"),
		"perMinute": v.tr("近 3 小时每分钟入场人数，共 %d 人，最高 %d 人/分钟", "Admissions per minute over the last 3 hours: %d in all, at most %d a minute"),
		"slots":     v.tr("今日各时段：已预约 %d / 配额 %d，已入场 %d", "Today's slots: %d booked of %d, %d admitted"),
		"slotTip":   v.tr("%s 配额 %d，已预约 %d，已入场 %d，爽约 %d", "%s quota %d, booked %d, admitted %d, no-shows %d"),
		"none":      v.tr("今日无时段", "No slots today"),
		"minute":    v.tr("%s 入场 %d 人", "%s: %d admitted"),
	})
	return "live", nil
}
