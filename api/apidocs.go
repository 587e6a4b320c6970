package api

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// The API's pages for people: /api/docs renders the OpenAPI document, and
// /problems/{code} explains each problem code. Both are drawn on the
// server from embedded files only; nothing comes from the internet.

//go:embed apidocs
var apiDocFiles embed.FS

var apiDocTemplates = template.Must(template.ParseFS(apiDocFiles, "apidocs/*.html"))

func (s *server) registerAPIDocs(e *echo.Echo) {
	e.GET("/api/docs", s.apiDocsPage)
	e.GET("/api/docs/assets/:name", serveAPIDocAsset)
	e.GET("/problems/:code", s.problemPage)
}

func serveAPIDocAsset(c echo.Context) error {
	name := c.Param("name")
	data, err := apiDocFiles.ReadFile("apidocs/" + path.Base(name))
	if err != nil || strings.HasSuffix(name, ".html") {
		return domain.ErrNotFound
	}
	ct := map[string]string{".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}[path.Ext(name)]
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=86400")
	return c.Blob(http.StatusOK, ct, data)
}

// renderAPIPage writes an HTML page in language l.
func renderAPIPage(c echo.Context, status int, name string, l Lang, data any) error {
	var buf bytes.Buffer
	if err := apiDocTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set(echo.HeaderCacheControl, "public, max-age=300")
	setContentLanguage(c, l)
	return c.HTMLBlob(status, buf.Bytes())
}

type langLink struct{ Href, Lang, Label string }

// otherLang links the same page in the other language.
func otherLang(c echo.Context, l Lang) langLink {
	if l == EN {
		return langLink{Href: c.Request().URL.Path + "?lang=zh", Lang: "zh", Label: "中文"}
	}
	return langLink{Href: c.Request().URL.Path + "?lang=en", Lang: "en", Label: "English"}
}

// problemHelp says what a code means, what a program should do, and what
// a person in front of a page should do.
type problemHelp struct{ means, client, visitor Text }

var problemHelps = map[domain.Code]problemHelp{
	domain.CodeMalformed: {
		Text{"请求无法解析：JSON 语法错误、字段类型不对、含有未知字段、正文过大，或路径参数无效。", "The request could not be read: broken JSON, a field of the wrong type, an unknown field, a body too large, or a bad path parameter."},
		Text{"不要原样重试。按照 OpenAPI 文档修正请求；errors 中会指出类型不对的字段。", "Do not retry as is. Fix the request to match the OpenAPI document; errors names a field of the wrong type."},
		Text{"请刷新页面后重新填写；如仍出现，请联系场馆。", "Reload the page and fill it in again; if it persists, contact the venue."}},
	domain.CodeValidation: {
		Text{"请求能读懂，但有字段不符合规则（如手机号、证件号、日期、人数）。", "The request was read, but some fields break a rule (phone, ID number, date, party size…)."},
		Text{"查看 errors：每项给出字段名 field、规则 rule 和说明 message；修正这些字段后再提交。", "Read errors: each gives the field, the rule it breaks and a message; correct those fields and send again."},
		Text{"按照页面上标出的提示修改后再提交。", "Correct the fields the page marks and submit again."}},
	domain.CodeNotFound: {
		Text{"所找的对象不存在：场馆、时段、预约码、候补凭证或地址有误。", "What was asked for does not exist: the venue, slot, booking code, standby token or address is wrong."},
		Text{"检查地址和参数；预约码无法猜测，完整复制即可。不要反复重试。", "Check the address and parameters; booking codes cannot be guessed, copy them whole. Do not retry in a loop."},
		Text{"请检查链接或预约码是否完整。", "Check that the link or booking code is complete."}},
	domain.CodeSoldOut: {
		Text{"该时段名额不足。若 remaining 存在，表示仅剩的名额数。", "The slot has too few places left; remaining, when present, is how many."},
		Text{"换一个时段，或减少人数到 remaining 以内；也可加入候补名单（POST /api/v1/standby）。", "Choose another slot, or book at most remaining people; or join the standby list (POST /api/v1/standby)."},
		Text{"请选择其他时段或日期，或加入候补名单。", "Choose another slot or day, or join the standby list."}},
	domain.CodeAlreadyBooked: {
		Text{"同一证件当天在该场馆已有预约；errors 指出是哪位访客。", "An ID already holds a booking at this venue that day; errors names the visitor."},
		Text{"不要重复预约。可查询或取消已有预约，再为其余访客预约。", "Do not book again; look up or cancel the existing booking, and book the others."},
		Text{"每个证件每天在同一场馆只能预约一次，可查询或取消已有预约。", "One booking per ID per venue per day; look up or cancel the existing one."}},
	domain.CodeSlotClosed: {
		Text{"该时段不能预约：已开始、已关闭、尚未开放，或场馆当天闭馆。", "The slot cannot be booked: it has started, is closed, is not yet open, or the venue is closed that day."},
		Text{"重新获取时段列表（GET /api/v1/venues/{slug}/slots），选择状态为 open 的时段。", "Fetch the slots again (GET /api/v1/venues/{slug}/slots) and choose an open one."},
		Text{"请选择其他时段。", "Please choose another slot."}},
	domain.CodeRestricted: {
		Text{"该证件因多次预约未到而暂停预约；restricted_until 是可再次预约的日期。", "This ID missed too many bookings and may not book for now; restricted_until is the day it may book again."},
		Text{"在 restricted_until 之前不要重试；如有异议，请场馆管理员核实后解除。", "Do not retry before restricted_until; if it is wrong, a venue admin can check and lift it."},
		Text{"到期后可再预约；如有疑问请联系场馆。", "You may book again from that day; contact the venue if you think it is wrong."}},
	domain.CodeRateLimited: {
		Text{"请求过于频繁，超过了限额。RateLimit 字段说明限额和剩余。", "Too many requests: a limit was reached. The RateLimit fields say which and what is left."},
		Text{"等待 Retry-After（秒）后再试；平时按 RateLimit-Policy 的 q 次 / w 秒发送，就不会被拒。", "Wait Retry-After seconds before trying again; keep to q requests per w seconds of RateLimit-Policy and none is refused."},
		Text{"请稍候片刻再试。", "Please wait a moment and try again."}},
	domain.CodeUnavailable: {
		Text{"服务暂时无法完成请求（数据库或缓存暂不可用），什么也没有保存。", "The service could not complete the request for now (its database or cache is away); nothing was saved."},
		Text{"等待 Retry-After 后重试；预约请带同一个 Idempotency-Key，不会重复预约。", "Retry after Retry-After; send bookings with the same Idempotency-Key so that a retry never books twice."},
		Text{"请稍后再试，您的信息没有被提交。", "Please try again shortly; nothing was booked."}},
	domain.CodeNotCancellable: {
		Text{"该预约不能取消：已入场、已过期、已取消，或时段已开始。", "The booking cannot be cancelled: it was used, missed or already cancelled, or its slot has started."},
		Text{"不要重试；读取预约（GET /api/v1/bookings/{code}）查看其状态。", "Do not retry; read the booking (GET /api/v1/bookings/{code}) for its status."},
		Text{"如需帮助，请联系场馆。", "Contact the venue if you need help."}},
	domain.CodeUnauthorized: {
		Text{"需要登录，或登录已失效；登录时则表示用户名或密码错误。", "Signing in is needed, or the session has ended; at sign-in, the username or password is wrong."},
		Text{"用 POST /api/v1/auth/login 取得令牌，并以 Authorization: Bearer 发送；Cookie 会话的写请求还需 X-CSRF-Token。", "Get a token with POST /api/v1/auth/login and send it as Authorization: Bearer; with the session cookie, writes also need X-CSRF-Token."},
		Text{"请重新登录。", "Please sign in again."}},
	domain.CodeForbidden: {
		Text{"已登录，但无权进行此操作（例如非管理员，或不负责该场馆）。", "Signed in, but not allowed to do this (not an admin, or not serving this venue)."},
		Text{"不要重试；请管理员分配相应的角色或场馆。", "Do not retry; an admin can give the role or venue needed."},
		Text{"请联系管理员。", "Please ask an admin."}},
	domain.CodeConflict: {
		Text{"与现有数据冲突：名称已被使用，或对象已处于该状态。", "It conflicts with what exists: the name is taken, or the thing is already in that state."},
		Text{"重新读取对象的当前状态，再决定是否修改。", "Read the current state again before changing it."},
		Text{"请刷新页面查看最新状态。", "Reload the page to see the current state."}},
	domain.CodeInvalidCode: {
		Text{"扫描到的内容不是本系统的有效预约码（或签名不对，或图片中没有二维码）。", "What was scanned is not a valid booking code of this service (wrong signature, or no QR code in the image)."},
		Text{"不要放行；请访客出示预约页面上的二维码，或按预约码查询。", "Do not admit; ask for the QR code on the booking page, or look the booking up by its code."},
		Text{"请出示预约页面上的二维码。", "Please show the QR code from your booking page."}},
	domain.CodeAlreadyAdmitted: {
		Text{"该预约已入场；admission 给出首次入场的时间和入口。", "The booking was already admitted; admission says when and at which gate."},
		Text{"不要再次放行；核对 booking 中的姓名与证件。", "Do not admit again; compare the names in booking with the ID cards."},
		Text{"该预约码已使用过，请联系工作人员。", "This code was already used; please see a member of staff."}},
	domain.CodeWrongVenue: {
		Text{"该预约属于另一场馆；venue 给出场馆。", "The booking is for another venue, named in venue."},
		Text{"不要放行；告知访客正确的场馆。", "Do not admit; tell the visitor which venue it is for."},
		Text{"请前往预约的场馆。", "Please go to the venue you booked."}},
	domain.CodeWrongTime: {
		Text{"现在不在该预约的入场时间内；window 给出可入场的时段。", "It is not within the booking's admission window, given in window."},
		Text{"不要放行；请访客在 window 内再来。", "Do not admit; the visitor may come back within window."},
		Text{"请在预约时段内入场。", "Please come within your booked time."}},
	domain.CodeCancelled: {
		Text{"该预约已取消。", "The booking was cancelled."},
		Text{"不要放行，不要重试。", "Do not admit and do not retry."},
		Text{"该预约已取消，如需参观请重新预约。", "This booking was cancelled; book again to visit."}},
	domain.CodeFlowLimited: {
		Text{"入口限流或馆内已满；must_leave 是须先离开的人数。", "The entrance is flow-limited or the venue is full; must_leave is how many must leave first."},
		Text{"等待 Retry-After 秒，或等有人离开后再扫码。", "Wait Retry-After seconds, or until people leave, and scan again."},
		Text{"请稍候，工作人员会引导入场。", "Please wait; staff will let you in shortly."}},
	domain.CodeBelowBooked: {
		Text{"新的名额少于已预约的人数。", "The new quota is below the places already booked."},
		Text{"把名额设为不少于已预约人数，或先关闭时段以取消预约。", "Set a quota at least the places booked, or close the slot to cancel its bookings."},
		Text{"请联系管理员。", "Please ask an admin."}},
	domain.CodeNobodyInside: {
		Text{"登记离场的人数多于馆内人数；inside 是馆内现有人数。", "More people counted out than are inside; inside is how many are."},
		Text{"核对离场人数；如有人未经扫码入场，先登记入场。", "Check the count; if people entered without a scan, admit them first."},
		Text{"请联系工作人员。", "Please ask the staff."}},
	domain.CodeMethodNotAllowed: {
		Text{"该地址不支持这个请求方法。", "This address does not take this method."},
		Text{"使用 Allow 响应头列出的方法之一；HEAD 在所有 GET 地址可用。", "Use one of the methods in the Allow header; HEAD works wherever GET does."},
		Text{"请从网站页面上的链接进入。", "Please use the links on the site's pages."}},
	domain.CodeUnsupportedMediaType: {
		Text{"请求正文的类型不是 JSON。", "The request body is not JSON."},
		Text{"以 JSON 发送正文，并设置 Content-Type: application/json。", "Send the body as JSON with Content-Type: application/json."},
		Text{"请刷新页面后重试。", "Reload the page and try again."}},
	domain.CodeInternal: {
		Text{"服务内部出错；原因已记录，答复中不含细节。", "Something failed inside the service; the cause is logged, the answer holds no details."},
		Text{"可稍后重试一次；预约请带同一个 Idempotency-Key。若持续出现，请附上 X-Request-Id 联系运营方。", "Retry once later; send bookings with the same Idempotency-Key. If it persists, report it with the X-Request-Id."},
		Text{"请稍后再试；如仍出现，请联系场馆。", "Please try again later; if it persists, contact the venue."}},
}

var apiPageText = map[Lang]map[string]string{
	ZH: {"API": "API 文档", "Status": "HTTP 状态", "Type": "type", "Means": "含义", "Client": "程序应如何处理", "Visitor": "访客或工作人员应如何处理",
		"Where": "可能返回此代码的操作", "Title": "slotgate API 文档", "Description": "slotgate 预约与入场 API 的接口、参数、数据结构和错误代码。",
		"Intro":    "slotgate 的 JSON API：访客查询场馆与时段、预约与候补，工作人员入场核验，管理员设置场馆与名额。错误以 RFC 9457 problem+json 返回，code 稳定不变，type 指向解释页面。",
		"Security": "登录方式", "Limits": "请求限额", "Contents": "目录", "SignIn": "需要登录", "Params": "参数", "Name": "名称", "In": "位置", "About": "说明",
		"Body": "正文", "Responses": "响应", "Codes": "问题代码", "Schemas": "数据结构", "Fields": "字段：", "Problems": "问题代码",
		"Required":   "* 表示必填或总会返回。",
		"LimitsText": "RateLimit-Policy 与 RateLimit 字段（draft-ietf-httpapi-ratelimit-headers）：每个限额是一个容量为 q 的令牌桶，w 秒补满；r 是此刻还可发送的请求数（不超过 q），t 是补满前的秒数。被拒时返回 429 rate_limited 与 Retry-After。"},
	EN: {"API": "API documentation", "Status": "HTTP status", "Type": "type", "Means": "What it means", "Client": "What a program should do", "Visitor": "What a visitor or staff member should do",
		"Where": "Operations that can answer it", "Title": "slotgate API", "Description": "The slotgate booking and admission API: operations, parameters, schemas and problem codes.",
		"Intro":    "slotgate's JSON API: visitors find venues and slots, book and join standby lists; staff admit at the gate; admins set venues and quotas. Errors are RFC 9457 problem+json with a stable code, and their type is a page that explains it.",
		"Security": "Signing in", "Limits": "Request limits", "Contents": "Contents", "SignIn": "Sign-in", "Params": "Parameters", "Name": "Name", "In": "In", "About": "About",
		"Body": "Body", "Responses": "Responses", "Codes": "Problem codes", "Schemas": "Schemas", "Fields": "Fields of", "Problems": "Problem codes",
		"Required":   "* marks a field that is required, or always present in answers.",
		"LimitsText": "The RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers): each limit is a token bucket of q requests, refilled in w seconds; r may be sent now (never more than q), t seconds until it is whole. A refusal is 429 rate_limited with Retry-After."},
}

func (s *server) problemPage(c echo.Context) error {
	code := domain.Code(c.Param("code"))
	help, ok := problemHelps[code]
	status, known := statusOf[code]
	if !ok || !known {
		return domain.ErrNotFound
	}
	l := LangOf(c)
	var ops []string
	for _, op := range apiOperations {
		if slices.Contains(op.problems(), code) {
			ops = append(ops, op.Method+" "+openAPIPath(op.Path))
		}
	}
	return renderAPIPage(c, http.StatusOK, "problem.html", l, map[string]any{
		"Lang": l, "T": apiPageText[l], "Code": code, "Title": titles[code].In(l), "Status": status,
		"Means": help.means.In(l), "Client": help.client.In(l), "Visitor": help.visitor.In(l),
		"Description": titles[code].In(l) + ": " + help.means.In(l), "Ops": ops, "Other": otherLang(c, l),
	})
}

// The docs page reads the served document itself, so that it shows what
// a client generator would see.
type docSchema struct {
	Ref                  string               `json:"$ref"`
	Type                 any                  `json:"type"`
	Format               string               `json:"format"`
	Items                *docSchema           `json:"items"`
	Properties           map[string]docSchema `json:"properties"`
	AdditionalProperties any                  `json:"additionalProperties"`
	Required             []string             `json:"required"`
	ContentMediaType     string               `json:"contentMediaType"`
	AllOf                []docSchema          `json:"allOf"`
	Enum                 []any                `json:"enum"`
}

type docMedia struct {
	Schema docSchema `json:"schema"`
}

type docOp struct {
	OperationID string `json:"operationId"`
	Summary     string `json:"summary"`
	Description string `json:"description"`
	Tags        []string
	Parameters  []struct {
		Name        string    `json:"name"`
		In          string    `json:"in"`
		Required    bool      `json:"required"`
		Description string    `json:"description"`
		Schema      docSchema `json:"schema"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]docMedia `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]docMedia `json:"content"`
	} `json:"responses"`
	Security []map[string][]string `json:"security"`
}

type openAPIDoc struct {
	OpenAPI string                      `json:"openapi"`
	Paths   map[string]map[string]docOp `json:"paths"`
	Comps   struct {
		Schemas         map[string]docSchema `json:"schemas"`
		SecuritySchemes map[string]struct {
			Description string `json:"description"`
		} `json:"securitySchemes"`
	} `json:"components"`
	Tags []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"tags"`
}

// typeText is a schema as a short phrase: a link to a named schema, or
// its type.
func typeText(s docSchema) template.HTML {
	switch {
	case s.Ref != "":
		name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		return template.HTML(`<a href="#schema-` + template.HTMLEscapeString(name) + `">` + template.HTMLEscapeString(name) + `</a>`)
	case len(s.AllOf) > 0:
		return typeText(s.AllOf[0])
	case s.ContentMediaType != "":
		return template.HTML("<code>" + template.HTMLEscapeString(s.ContentMediaType) + "</code>")
	case s.Items != nil:
		return "array of " + typeText(*s.Items)
	}
	t, _ := s.Type.(string)
	if t == "object" {
		if a, ok := s.AdditionalProperties.(map[string]any); ok {
			b, _ := json.Marshal(a)
			var inner docSchema
			_ = json.Unmarshal(b, &inner)
			return "map of " + typeText(inner)
		}
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	return template.HTML(template.HTMLEscapeString(t))
}

func (s *server) apiDocsPage(c echo.Context) error {
	l := LangOf(c)
	var doc openAPIDoc
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		return err
	}
	type param struct {
		Name, In, Text string
		Type           template.HTML
		Required       bool
	}
	type response struct {
		Status string
		Body   template.HTML
		Codes  []string
	}
	type op struct {
		ID, Method, Path, Summary, Note, Security string
		Params                                    []param
		Body                                      template.HTML
		Responses                                 []response
	}
	type group struct {
		Tag, Text string
		Ops       []op
	}
	var groups []group
	for _, tag := range doc.Tags {
		g := group{Tag: tag.Name, Text: tag.Description}
		for _, p := range apiOperations {
			if p.Tag != tag.Name {
				continue
			}
			d := doc.Paths[openAPIPath(p.Path)][strings.ToLower(p.Method)]
			o := op{ID: d.OperationID, Method: p.Method, Path: openAPIPath(p.Path), Summary: d.Summary, Note: d.Description}
			var sec []string
			for _, alt := range d.Security {
				var names []string
				for k := range alt {
					names = append(names, k)
				}
				sort.Strings(names)
				sec = append(sec, strings.Join(names, " + "))
			}
			o.Security = strings.Join(sec, " | ")
			for _, pa := range d.Parameters {
				o.Params = append(o.Params, param{Name: pa.Name, In: pa.In, Text: pa.Description, Type: typeText(pa.Schema), Required: pa.Required})
			}
			if d.RequestBody != nil {
				var parts []string
				for mt, m := range d.RequestBody.Content {
					parts = append(parts, "<code>"+template.HTMLEscapeString(mt)+"</code> "+string(typeText(m.Schema)))
				}
				sort.Strings(parts)
				o.Body = template.HTML(strings.Join(parts, "; "))
			}
			statuses := make([]string, 0, len(d.Responses))
			for st := range d.Responses {
				statuses = append(statuses, st)
			}
			sort.Strings(statuses)
			for _, st := range statuses {
				r := response{Status: st}
				for mt, m := range d.Responses[st].Content {
					r.Body = template.HTML("<code>"+template.HTMLEscapeString(mt)+"</code> ") + typeText(m.Schema)
					if len(m.Schema.AllOf) > 1 {
						if cs, ok := m.Schema.AllOf[1].Properties["code"]; ok {
							for _, e := range cs.Enum {
								r.Codes = append(r.Codes, e.(string))
							}
						}
					}
				}
				o.Responses = append(o.Responses, r)
			}
			g.Ops = append(g.Ops, o)
		}
		groups = append(groups, g)
	}
	type field struct {
		Name     string
		Type     template.HTML
		Required bool
	}
	type schema struct {
		Name   string
		Fields []field
	}
	var schemas []schema
	for name, sc := range doc.Comps.Schemas {
		out := schema{Name: name}
		for fname, f := range sc.Properties {
			out.Fields = append(out.Fields, field{Name: fname, Type: typeText(f), Required: slices.Contains(sc.Required, fname)})
		}
		sort.Slice(out.Fields, func(i, j int) bool { return out.Fields[i].Name < out.Fields[j].Name })
		schemas = append(schemas, out)
	}
	sort.Slice(schemas, func(i, j int) bool { return schemas[i].Name < schemas[j].Name })
	type sec struct{ Name, Text string }
	var secs []sec
	for name, sc := range doc.Comps.SecuritySchemes {
		secs = append(secs, sec{name, sc.Description})
	}
	sort.Slice(secs, func(i, j int) bool { return secs[i].Name < secs[j].Name })
	type codeRow struct {
		Code   domain.Code
		Status int
		Title  string
	}
	var codes []codeRow
	for code, st := range statusOf {
		codes = append(codes, codeRow{code, st, titles[code].In(l)})
	}
	sort.Slice(codes, func(i, j int) bool { return codes[i].Code < codes[j].Code })
	return renderAPIPage(c, http.StatusOK, "docs.html", l, map[string]any{
		"Lang": l, "T": apiPageText[l], "Version": doc.OpenAPI, "Groups": groups, "Schemas": schemas,
		"Security": secs, "Codes": codes, "Other": otherLang(c, l), "Status": strconv.Itoa(0),
	})
}
