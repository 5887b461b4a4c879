package sendmessage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/steps"
)

// ReasonSMTP: the SMTP server refused the e-mail or could not be reached (Errored, retried).
const ReasonSMTP = "SMTPFailed"

// DefaultSMTPPort is an SMTP channel's port when its Secret names none: submission, with
// STARTTLS.
const DefaultSMTPPort = "587"

// mailMessage is one e-mail for an SMTP channel. password is secret.
type mailMessage struct {
	host, port, username, password string
	from                           string
	to                             []string
	data                           []byte
}

// smtpMessage builds the e-mail cfg asks for, from the channel's Secret.
func smtpMessage(cfg Config, ch *Channel, now time.Time) (mailMessage, error) {
	m := mailMessage{
		host: strings.TrimSpace(ch.Data[v1.MessageChannelKeySMTPHost]), port: strings.TrimSpace(ch.Data[v1.MessageChannelKeySMTPPort]),
		username: ch.Data[v1.MessageChannelKeySMTPUsername], password: ch.Data[v1.MessageChannelKeySMTPPassword],
	}
	secretErr := func(key, why string) error {
		return steps.Reasoned(ReasonSecretNotFound, fmt.Errorf("%w: Secret %s key %s: %s", ErrSecretNotFound, ch.Spec.SecretRef.Name, key, why))
	}
	if m.host == "" {
		return m, secretErr(v1.MessageChannelKeySMTPHost, "missing")
	}
	if m.port == "" {
		m.port = DefaultSMTPPort
	}
	from, err := mail.ParseAddress(ch.Data[v1.MessageChannelKeySMTPFrom])
	if err != nil {
		return m, secretErr(v1.MessageChannelKeySMTPFrom, "not an e-mail address")
	}
	m.from = from.Address
	invalid := func(format string, args ...any) error {
		return steps.Terminal(fmt.Errorf("%w: "+format, append([]any{steps.ErrInvalidConfig}, args...)...))
	}
	if cfg.EncodingType != "" {
		return m, steps.Terminal(steps.Reasoned(ReasonUnsupportedEncoding, fmt.Errorf(
			"an SMTP channel takes a plain-text or HTML message (config.smtp.html), not encodingType %s", cfg.EncodingType)))
	}
	if cfg.SMTP == nil || len(cfg.SMTP.To) == 0 {
		return m, invalid("config.smtp.to: an SMTP channel needs recipients")
	}
	var to []string
	for i, s := range cfg.SMTP.To {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return m, invalid("config.smtp.to[%d]: %q is not an e-mail address", i, s)
		}
		m.to, to = append(m.to, a.Address), append(to, a.String())
	}
	if strings.ContainsAny(cfg.SMTP.Subject, "\r\n") {
		return m, invalid("config.smtp.subject: must be one line")
	}
	contentType := "text/plain; charset=utf-8"
	if cfg.SMTP.HTML {
		contentType = "text/html; charset=utf-8"
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	var b bytes.Buffer
	for _, h := range [][2]string{
		{"From", from.String()},
		{"To", strings.Join(to, ", ")},
		{"Subject", mime.QEncoding.Encode("utf-8", cfg.SMTP.Subject)},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id) + "@dray>"},
		{"MIME-Version", "1.0"},
		{"Content-Type", contentType},
		{"Content-Transfer-Encoding", "quoted-printable"},
	} {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(cfg.Message, "\r\n", "\n"), "\n", "\r\n")))
	_ = qp.Close()
	m.data = b.Bytes()
	return m, nil
}

// sendMail delivers m through its server: TLS from the start on port 465, otherwise STARTTLS
// when the server offers it; the login, when there is one, only over TLS (or to a server on
// loopback). The project's host allowlist holds the server too.
func (s *Step) sendMail(ctx context.Context, project string, m mailMessage) error {
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	addr := net.JoinHostPort(m.host, m.port)
	conn, err := s.opts.Dial(ctx, project, "smtp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	tlsConfig := &tls.Config{ServerName: m.host, RootCAs: s.opts.RootCAs, MinVersion: tls.VersionTLS12}
	if m.port == "465" {
		conn = tls.Client(conn, tlsConfig)
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return steps.Reasoned(ReasonSMTP, fmt.Errorf("SMTP server %s: %w", addr, err))
	}
	defer c.Close()
	fail := func(what string, err error) error {
		return steps.Reasoned(ReasonSMTP, fmt.Errorf("SMTP server %s: %s: %w", addr, what, err))
	}
	if err := c.Hello("dray"); err != nil {
		return fail("HELO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && m.port != "465" {
		if err := c.StartTLS(tlsConfig); err != nil {
			return fail("STARTTLS", err)
		}
	}
	if m.username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fail("login", errors.New("the server offers no AUTH"))
		}
		if err := c.Auth(smtp.PlainAuth("", m.username, m.password, m.host)); err != nil {
			return fail("login", err)
		}
	}
	if err := c.Mail(m.from); err != nil {
		return fail("MAIL FROM", err)
	}
	for _, to := range m.to {
		if err := c.Rcpt(to); err != nil {
			return fail("RCPT TO "+to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fail("DATA", err)
	}
	if _, err := w.Write(m.data); err != nil {
		return fail("DATA", err)
	}
	if err := w.Close(); err != nil {
		return fail("DATA", err)
	}
	return c.Quit()
}
