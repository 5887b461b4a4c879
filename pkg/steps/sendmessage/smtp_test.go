package sendmessage_test

import (
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/httpstep"
	"github.com/drayhq/dray/pkg/steps/sendmessage"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

// mailbox is an SMTP server on loopback (go-smtp) that wants user bot with password
// s3cret-pass and keeps what it accepts.
type mailbox struct {
	addr string

	mu   sync.Mutex
	mail []delivered
}

type delivered struct {
	from string
	to   []string
	data string
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{}
	srv := smtp.NewServer(mb)
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb
}

func (mb *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{mb: mb}, nil }

func (mb *mailbox) received() []delivered {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]delivered(nil), mb.mail...)
}

type session struct {
	mb     *mailbox
	authed bool
	cur    delivered
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "bot" || pass != "s3cret-pass" {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = delivered{from: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.mb.mu.Lock()
	s.mb.mail = append(s.mb.mail, s.cur)
	s.mb.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = delivered{} }
func (s *session) Logout() error { return nil }

func smtpChannel(addr, password string) *sendmessage.Channel {
	host, port, _ := net.SplitHostPort(addr)
	return &sendmessage.Channel{
		Spec: v1.MessageChannelSpec{SecretRef: v1.LocalObjectReference{Name: "mail"}, SMTP: &v1.SMTPChannel{}},
		Data: map[string]string{
			v1.MessageChannelKeySMTPHost: host, v1.MessageChannelKeySMTPPort: port,
			v1.MessageChannelKeySMTPUsername: "bot", v1.MessageChannelKeySMTPPassword: password,
			v1.MessageChannelKeySMTPFrom: "Dray <dray@example.com>",
		},
	}
}

// TestSMTP: an SMTP channel delivers the message as an e-mail, logged in, to every recipient,
// with its subject; and the step fails without quoting the password when the login is refused
// or the project may not reach the server.
func TestSMTP(t *testing.T) {
	mb := newMailbox(t)
	chs := channels{
		"MessageChannel/mail":  smtpChannel(mb.addr, "s3cret-pass"),
		"MessageChannel/wrong": smtpChannel(mb.addr, "not-the-pass"),
	}
	cfg := func(channel string) map[string]any {
		return map[string]any{
			"channel": map[string]any{"kind": "MessageChannel", "name": channel},
			"message": "Promoted wise-otter to prod.\nAll checks passed — ünïcode too.",
			"smtp":    map[string]any{"to": []any{"Ops <ops@example.com>", "dev@example.com"}, "subject": "Promoted to prod ✔"},
		}
	}
	res, err := steptest.Run(t, sendmessage.New(sendmessage.Options{Channels: chs, ClientOptions: loopbackAllowed}), steptest.NewContext(t, cfg("mail"), nil))
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if len(res.Outputs) != 0 {
		t.Errorf("outputs = %v, want none for SMTP", res.Outputs)
	}
	got := mb.received()
	if len(got) != 1 {
		t.Fatalf("the server got %d e-mails, want 1", len(got))
	}
	if got[0].from != "dray@example.com" || strings.Join(got[0].to, ",") != "ops@example.com,dev@example.com" {
		t.Errorf("envelope from %s to %v, want dray@example.com to ops and dev", got[0].from, got[0].to)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got[0].data))
	if err != nil {
		t.Fatalf("the e-mail does not parse: %v", err)
	}
	subject, err := new(mimeDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "Promoted to prod ✔" {
		t.Errorf("Subject = %q (%v), want %q", subject, err, "Promoted to prod ✔")
	}
	if to := msg.Header.Get("To"); !strings.Contains(to, "ops@example.com") || !strings.Contains(to, "dev@example.com") {
		t.Errorf("To = %q, want both recipients", to)
	}
	body, _ := io.ReadAll(quotedPrintable(msg.Body))
	// SMTP ends the data with a line break.
	if want := "Promoted wise-otter to prod.\r\nAll checks passed — ünïcode too."; strings.TrimSuffix(string(body), "\r\n") != want {
		t.Errorf("body = %q, want %q", body, want)
	}

	_, err = steptest.Run(t, sendmessage.New(sendmessage.Options{Channels: chs, ClientOptions: loopbackAllowed}), steptest.NewContext(t, cfg("wrong"), nil))
	if o := steps.Classify(steps.Result{}, err); o.Status != "Errored" || o.Reason != sendmessage.ReasonSMTP || strings.Contains(o.Message, "not-the-pass") {
		t.Errorf("Run(wrong password) = %+v, want Errored %s without the password", o, sendmessage.ReasonSMTP)
	}
	refusing := sendmessage.Options{Channels: chs, ClientOptions: httpstep.ClientOptions{AllowedHosts: map[string][]string{"*": {"smtp.example.com"}}}}
	_, err = steptest.Run(t, sendmessage.New(refusing), steptest.NewContext(t, cfg("mail"), nil))
	if !steps.IsTerminal(err) || !errors.Is(err, steps.Reasoned(httpstep.ReasonHostNotAllowed, nil)) {
		t.Errorf("Run(server not in the allowlist) = %v, want a terminal %s", err, httpstep.ReasonHostNotAllowed)
	}
	if n := len(mb.received()); n != 1 {
		t.Errorf("the server got %d e-mails in all, want still 1", n)
	}
}

type mimeDecoder = mime.WordDecoder

func quotedPrintable(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }
