package gateway

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/drayhq/dray/pkg/access"
	"github.com/drayhq/dray/pkg/token"
)

// tokenCookie holds a browser session signed in with an API token on the UI's login page
// (docs/ui.md), sealed like the OIDC session: the hash of the token, never the token, so a
// revoked or expired token ends the session at the next request.
const tokenCookie = "dray_token_session"

// tokenSession is what tokenCookie seals.
type tokenSession struct {
	Hash    string `json:"hash"`
	CSRF    string `json:"csrf"`
	Expires int64  `json:"exp"`
}

// signInWithToken checks text, an API token typed on the login page, and sets the session
// and CSRF cookies. The session lasts maxSession, or until the token expires if sooner.
func (a *authn) signInWithToken(w http.ResponseWriter, text string) (access.Identity, error) {
	rec, err := a.tokens.Lookup(text, a.now())
	if err != nil {
		return access.Identity{}, fmt.Errorf("sign in with an API token: %w", err)
	}
	exp := a.now().Add(maxSession)
	if rec.ExpiresAt != nil && rec.ExpiresAt.Before(exp) {
		exp = *rec.ExpiresAt
	}
	s := tokenSession{Hash: token.Hash(text), CSRF: rand.Text(), Expires: exp.Unix()}
	enc, err := a.web.session.Encode(tokenCookie, s)
	if err != nil {
		return access.Identity{}, fmt.Errorf("seal %s cookie: %w", tokenCookie, err)
	}
	ttl := int(time.Until(exp).Seconds())
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: enc, Path: "/", MaxAge: ttl, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: s.CSRF, Path: "/", MaxAge: ttl, Secure: a.secure, SameSite: http.SameSiteStrictMode})
	return tokenIdentity(rec.Name, rec.Project, rec.Role, rec.SystemAdmin), nil
}

// signOut clears the cookies of both kinds of browser session.
func (a *authn) signOut(w http.ResponseWriter) {
	for _, name := range []string{tokenCookie, sessionCookie, csrfCookie} {
		http.SetCookie(w, &http.Cookie{Name: name, Path: "/", MaxAge: -1, HttpOnly: name != csrfCookie, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	}
}

// fromTokenSession authenticates r by its token session cookie, as fromSession does by the
// OIDC one: ok is false when r has none; err is set when it has one that does not do
// (errCSRF for a change without the CSRF token).
func (a *authn) fromTokenSession(r *http.Request, now time.Time) (id access.Identity, ok bool, err error) {
	c, cerr := r.Cookie(tokenCookie)
	if cerr != nil || a.web == nil {
		return access.Identity{}, false, nil
	}
	var s tokenSession
	if err := a.web.session.Decode(tokenCookie, c.Value, &s); err != nil {
		return access.Identity{}, true, errors.New("invalid or expired session cookie: sign in again at /login")
	}
	if now.Unix() >= s.Expires {
		return access.Identity{}, true, errors.New("session expired: sign in again at /login")
	}
	rec, err := a.tokens.LookupHash(s.Hash, now)
	if err != nil {
		return access.Identity{}, true, fmt.Errorf("the session's token: %w: sign in again at /login", err)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(s.CSRF)) != 1 {
			return access.Identity{}, true, errCSRF
		}
	}
	return tokenIdentity(rec.Name, rec.Project, rec.Role, rec.SystemAdmin), true, nil
}

func tokenIdentity(name, project, role string, systemAdmin bool) access.Identity {
	return access.Identity{Name: name, Project: project, Role: role, SystemAdmin: systemAdmin}
}

// loginFormCookie holds the login form's CSRF token, sealed: GET /login sets it with the
// token in a hidden field, and POST /login signs in only when both match, so another site
// cannot sign a browser in as the attacker (login CSRF). It lasts loginTTL.
const loginFormCookie = "dray_login_form"

// errLoginForm refuses a sign-in whose form was not the one this gateway served.
var errLoginForm = errors.New("the sign-in form expired or did not come from this page: sign in again")

// loginFormToken sets a new login form cookie and returns the token the form must carry.
func (a *authn) loginFormToken(w http.ResponseWriter) (string, error) {
	tok := rand.Text()
	enc, err := a.web.login.Encode(loginFormCookie, tok)
	if err != nil {
		return "", fmt.Errorf("seal %s cookie: %w", loginFormCookie, err)
	}
	http.SetCookie(w, &http.Cookie{Name: loginFormCookie, Value: enc, Path: "/login", MaxAge: int(loginTTL.Seconds()),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode})
	return tok, nil
}

// checkLoginForm tells whether r's form carries the token its login form cookie seals.
func (a *authn) checkLoginForm(r *http.Request, form string) error {
	c, err := r.Cookie(loginFormCookie)
	if err != nil || form == "" {
		return errLoginForm
	}
	var tok string
	if err := a.web.login.Decode(loginFormCookie, c.Value, &tok); err != nil {
		return errLoginForm
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(form)) != 1 {
		return errLoginForm
	}
	return nil
}
