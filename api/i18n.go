package api

import (
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// Lang is a language slotgate speaks: Chinese by default, or English.
type Lang string

const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// LangCookie holds the language chosen with a page's language switch; the
// JSON API honours it too.
const LangCookie = "slotgate_lang"

// LangOf picks the language of a request: ?lang= first, then the pages'
// language cookie (set by that switch), then the first language of
// Accept-Language that slotgate speaks, then Chinese.
func LangOf(c echo.Context) Lang {
	r := c.Request()
	if r.URL.RawQuery != "" {
		if l := c.QueryParam("lang"); l != "" {
			return PickLang(l)
		}
	}
	if k, err := c.Cookie(LangCookie); err == nil && k.Value != "" {
		return PickLang(k.Value)
	}
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(part, ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return ZH
		case strings.HasPrefix(tag, "en"):
			return EN
		}
	}
	return ZH
}

// PickLang reads a language name; anything but English is Chinese.
func PickLang(s string) Lang {
	if strings.HasPrefix(strings.ToLower(s), "en") {
		return EN
	}
	return ZH
}

// Text is one message in both languages: Chinese, then English. It is an
// array rather than a struct so that the pages' long word tables stay
// written as {"中文", "English"}.
type Text [2]string

// In is the message in language l.
func (t Text) In(l Lang) string {
	if l == EN {
		return t[1]
	}
	return t[0]
}

// Format fills the message's verbs in language l.
func (t Text) Format(l Lang, args ...any) string { return fmt.Sprintf(t.In(l), args...) }

// Title is the problem title of code in language l.
func Title(code domain.Code, l Lang) string { return titles[code].In(l) }

// Detail says what to do next after a refusal with code, where the title
// alone does not ("" when it does).
func Detail(code domain.Code, l Lang) string { return details[code].In(l) }

// titles are the problem titles, one per code.
var titles = map[domain.Code]Text{
	domain.CodeMalformed:       {"请求格式错误", "Malformed request"},
	domain.CodeValidation:      {"填写的信息有误", "Some fields are not valid"},
	domain.CodeNotFound:        {"未找到", "Not found"},
	domain.CodeSoldOut:         {"该时段已约满", "This time slot is fully booked"},
	domain.CodeAlreadyBooked:   {"当天已有预约", "Already booked for that day"},
	domain.CodeSlotClosed:      {"该时段不可预约", "This time slot cannot be booked"},
	domain.CodeRestricted:      {"暂时不能预约", "Booking is restricted"},
	domain.CodeRateLimited:     {"操作过于频繁", "Too many attempts"},
	domain.CodeUnavailable:     {"服务暂时不可用", "Service temporarily unavailable"},
	domain.CodeNotCancellable:  {"该预约不能取消", "This booking cannot be cancelled"},
	domain.CodeUnauthorized:    {"请先登录", "Sign-in required"},
	domain.CodeForbidden:       {"没有权限", "Not allowed"},
	domain.CodeConflict:        {"与现有数据冲突", "Conflict with existing data"},
	domain.CodeInvalidCode:     {"无效的预约码", "Invalid booking code"},
	domain.CodeAlreadyAdmitted: {"已入场", "Already admitted"},
	domain.CodeWrongVenue:      {"不是本场馆的预约", "Booking is for another venue"},
	domain.CodeWrongTime:       {"不在入场时间内", "Outside the admission window"},
	domain.CodeCancelled:       {"预约已取消", "Booking was cancelled"},
	domain.CodeFlowLimited:     {"入口限流中", "Entrance is flow-limited"},
	domain.CodeBelowBooked:     {"低于已预约人数", "Below the places already booked"},
	domain.CodeNobodyInside:    {"馆内人数不足", "Fewer people inside"},

	domain.CodeMethodNotAllowed:     {"不支持该请求方法", "Method not allowed"},
	domain.CodeUnsupportedMediaType: {"不支持的内容类型", "Unsupported media type"},
	domain.CodeInternal:             {"服务器内部错误", "Internal error"},
}

// details say what to do next, where the title alone does not.
var details = map[domain.Code]Text{
	domain.CodeSoldOut:        {"请选择其他时段或日期。", "Please choose another time slot or day."},
	domain.CodeAlreadyBooked:  {"同一证件每天在同一场馆只能预约一次，可查询或取消已有预约。", "One booking per ID per venue per day; look up or cancel the existing booking."},
	domain.CodeSlotClosed:     {"该时段已停止预约、已关闭或尚未开放预约，请选择其他时段。", "The slot no longer takes bookings, is closed, or is not yet open for booking; please choose another."},
	domain.CodeRateLimited:    {"请稍后再试。", "Please try again later."},
	domain.CodeUnavailable:    {"请稍后再试，您的信息未被提交。", "Please try again shortly; nothing was booked."},
	domain.CodeNotCancellable: {"已入场、已过期或时段已开始的预约不能取消。", "Bookings that were used, missed, or whose slot has started cannot be cancelled."},
	domain.CodeNotFound:       {"请检查预约码或链接是否完整。", "Please check that the code or link is complete."},
	domain.CodeMalformed:      {"请求无法解析。", "The request could not be read."},

	domain.CodeMethodNotAllowed:     {"该地址不支持这个请求方法，可用的方法见 Allow 响应头。", "This address does not take this method; the Allow header lists those it takes."},
	domain.CodeUnsupportedMediaType: {"请求内容应为 JSON（Content-Type: application/json）。", "The request body must be JSON (Content-Type: application/json)."},
}

// ruleTexts explain a field error; %d is the rule's limit where it has one.
var ruleTexts = map[domain.Rule]Text{
	domain.RuleRequired:         {"必填", "is required"},
	domain.RuleSlug:             {"只能包含小写字母、数字和连字符", "may hold lower-case letters, digits and hyphens only"},
	domain.RuleTimezone:         {"应为 IANA 时区名称，如 Asia/Shanghai", "must be an IANA time zone name such as Asia/Shanghai"},
	domain.RuleHours:            {"开放时间无效", "opening hours are not valid"},
	domain.RuleWeekday:          {"星期应为 1（周一）到 7（周日）", "weekdays run from 1 (Monday) to 7 (Sunday)"},
	domain.RulePositive:         {"必须大于 0", "must be greater than 0"},
	domain.RuleNotNegative:      {"不能为负数", "must not be negative"},
	domain.RuleTooLarge:         {"数值过大", "is too large"},
	domain.RuleTooLong:          {"内容过长", "is too long"},
	domain.RuleDate:             {"日期格式应为 YYYY-MM-DD", "must be a date written YYYY-MM-DD"},
	domain.RuleOutsideWindow:    {"不在可预约日期范围内", "is outside the booking window"},
	domain.RulePhone:            {"请输入 11 位手机号码，境外号码以 + 和国家代码开头", "must be a mainland mobile number (11 digits), or another country's number starting with + and its country code"},
	domain.RulePhoneNotMobile:   {"这不是手机号码，请填写能接收短信的手机号码", "is not a mobile number; give a mobile number that can receive text messages"},
	domain.RuleName:             {"姓名包含无效字符", "contains characters a name cannot have"},
	domain.RuleNameFormat:       {"姓名包含不可见的格式字符（如文字方向控制符、零宽字符），请删除后重试", "contains invisible formatting characters (such as text-direction marks or zero-width spaces); remove them"},
	domain.RuleIDType:           {"不支持的证件类型", "is not a supported document type"},
	domain.RuleIDFormat:         {"证件号码格式不正确", "is not a valid number for this document"},
	domain.RuleIDRegion:         {"身份证号码的地区码不正确", "does not start with a valid region code"},
	domain.RuleIDBirthDate:      {"身份证号码中的出生日期不正确", "has an impossible date of birth"},
	domain.RuleIDCheckDigit:     {"身份证号码校验位不正确，请核对", "has a wrong check digit; please check the number"},
	domain.RuleDuplicateID:      {"同一证件在本次预约中重复", "appears twice in this booking"},
	domain.RulePartySize:        {"每次可预约 1 至 %d 人", "a booking is for 1 to %d people"},
	domain.RuleIdempotencyReuse: {"该幂等键已用于另一笔不同的预约", "was already used for a different booking"},
	domain.RuleUsername:         {"用户名为 2 至 64 位字母、数字或 . _ -", "must be 2 to 64 letters, digits, '.', '_' or '-'"},
	domain.RulePasswordLength:   {"密码至少 %d 位", "must be at least %d characters"},
	domain.RuleRole:             {"角色应为 staff 或 admin", "must be staff or admin"},
	domain.RuleUnknownVenue:     {"没有这个场馆", "is not a known venue"},
	domain.RuleGate:             {"入口名称为 1 至 32 个字符", "must be 1 to 32 characters"},
	domain.RuleCount:            {"人数应为 1 至 %d", "must be 1 to %d"},
	domain.RuleOneOf:            {"预约码、预约号、证件号码只能且必须填写一项", "give exactly one of code, number and id_number"},
	domain.RulePosition:         {"该预约没有这位游客", "names a person the booking does not have"},
	domain.RuleRange:            {"应为 %d 至 %d", "must be from %d to %d"},
}

// RuleText says in language l what is wrong with a field.
func RuleText(f domain.FieldError, l Lang) string {
	t, ok := ruleTexts[f.Rule]
	if !ok {
		return string(f.Rule)
	}
	s := t.In(l)
	if f.Rule == domain.RuleRange {
		return fmt.Sprintf(s, f.Min, f.Limit)
	}
	if strings.Contains(s, "%d") {
		s = fmt.Sprintf(s, f.Limit)
	}
	return s
}
