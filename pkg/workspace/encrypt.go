package workspace

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
)

// An encrypted revision is stored as
//
//	magic (8 bytes) | salt (32 random bytes) | chunk 0 | chunk 1 | … | last chunk
//
// Each chunk seals up to chunkSize bytes of the gzipped tar with AES-256-GCM, under a key
// derived for this archive alone with HKDF-SHA256 from the Store's key and the salt (so no
// two archives share a key, and nonces need no randomness). A chunk's nonce is its index (11
// bytes, big-endian) and a byte that is 1 on the last chunk only: the STREAM construction of
// Hoang, Reyhanitabar, Rogaway and Vizár, as age uses it. Chunks moved, dropped, repeated or
// cut off at the end do not open. Every chunk's additional data is the object's name
// (<promotion>/<revision>), so a revision stored over another does not open either.
const (
	magic     = "dray-ws\x01"
	saltSize  = 32
	chunkSize = 64 << 10
	tagSize   = 16
	// archiveKeyInfo separates the per-archive keys from anything else derived from the
	// Store's key.
	archiveKeyInfo = "dray v1 workspace archive"
)

// KeySize is the length of the key WithKey takes.
const KeySize = 32

var (
	// ErrUnreadable is why a revision cannot be restored, whatever the Store tries: each of
	// the errors below wraps it.
	ErrUnreadable = errors.New("workspace revision unreadable")
	// ErrEncrypted means a revision is encrypted and this Store has no key to open it.
	ErrEncrypted = fmt.Errorf("%w: it is encrypted with the secrets key, and this executor has none: start every executor with the same --secrets-key-file (or $DRAY_SECRETS_KEY_FILE)", ErrUnreadable)
	// ErrNotEncrypted means a Store with a key found a revision stored in clear: an executor
	// without the key wrote it, or someone who can write the object store. It is not
	// trusted.
	ErrNotEncrypted = fmt.Errorf("%w: it is not encrypted, and this executor, which has the secrets key, accepts only encrypted ones: it was stored by an executor without the key; start every executor with the same --secrets-key-file (or $DRAY_SECRETS_KEY_FILE)", ErrUnreadable)
	// ErrDamaged means a revision does not open with this Store's key.
	ErrDamaged = fmt.Errorf("%w: it does not decrypt: it is damaged or cut short, was stored for another promotion or revision, or under another secrets key than this executor's", ErrUnreadable)
)

// chunkBufs holds the buffers sealers and openers work in: a sealed chunk and one byte of
// the next.
var chunkBufs = sync.Pool{New: func() any {
	b := make([]byte, chunkSize+tagSize+1)
	return &b
}}

// archiveAEAD returns the AES-256-GCM of the archive with this salt.
func archiveAEAD(key, salt []byte) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, key, salt, archiveKeyInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealer encrypts what is written to it into w, chunk by chunk. Close seals the last chunk
// and must be called; it does not close w.
type sealer struct {
	w     io.Writer
	aead  cipher.AEAD
	ad    []byte
	nonce [12]byte
	buf   *[]byte
	chunk []byte // plaintext not sealed yet, in *buf
}

// newSealer writes the header of a new archive named name to w and returns the writer of
// its content.
func newSealer(w io.Writer, key []byte, name string) (*sealer, error) {
	head := make([]byte, len(magic)+saltSize)
	copy(head, magic)
	if _, err := rand.Read(head[len(magic):]); err != nil {
		return nil, err
	}
	aead, err := archiveAEAD(key, head[len(magic):])
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(head); err != nil {
		return nil, err
	}
	buf := chunkBufs.Get().(*[]byte)
	return &sealer{w: w, aead: aead, ad: []byte(name), buf: buf, chunk: (*buf)[:0]}, nil
}

func (s *sealer) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		// A full chunk is sealed only when more follows: the last chunk may be full too.
		if len(s.chunk) == chunkSize {
			if err := s.seal(false); err != nil {
				return n, err
			}
		}
		k := copy(s.chunk[len(s.chunk):chunkSize], p)
		s.chunk = s.chunk[:len(s.chunk)+k]
		p, n = p[k:], n+k
	}
	return n, nil
}

// seal encrypts the pending chunk in place and writes it.
func (s *sealer) seal(last bool) error {
	if last {
		s.nonce[len(s.nonce)-1] = 1
	}
	sealed := s.aead.Seal(s.chunk[:0], s.nonce[:], s.chunk, s.ad)
	if _, err := s.w.Write(sealed); err != nil {
		return err
	}
	s.chunk = (*s.buf)[:0]
	return nextNonce(&s.nonce)
}

// Close seals the last chunk.
func (s *sealer) Close() error {
	if s.buf == nil {
		return nil
	}
	err := s.seal(true)
	chunkBufs.Put(s.buf)
	s.buf, s.chunk = nil, nil
	return err
}

// nextNonce counts the chunk index up.
func nextNonce(n *[12]byte) error {
	for i := len(n) - 2; i >= 0; i-- {
		n[i]++
		if n[i] != 0 {
			return nil
		}
	}
	return errors.New("workspace archive too large")
}

// opener decrypts an archive made by a sealer, chunk by chunk, from r (past the magic). It
// returns ErrDamaged for a chunk that does not open, and io.EOF only after the last chunk
// opened. Close returns its buffer; it does not close r.
type opener struct {
	r     io.Reader
	aead  cipher.AEAD
	ad    []byte
	nonce [12]byte
	buf   *[]byte
	plain []byte // opened and not read yet
	carry []byte // the byte read past the last chunk opened, if any
	last  bool   // the last chunk opened
	err   error
}

// newOpener reads the salt from r and returns the reader of the content of the archive
// named name.
func newOpener(r io.Reader, key []byte, name string) (*opener, error) {
	salt := make([]byte, saltSize)
	if _, err := io.ReadFull(r, salt); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	aead, err := archiveAEAD(key, salt)
	if err != nil {
		return nil, err
	}
	return &opener{r: r, aead: aead, ad: []byte(name), buf: chunkBufs.Get().(*[]byte)}, nil
}

func (o *opener) Read(p []byte) (int, error) {
	for len(o.plain) == 0 {
		if o.err != nil {
			return 0, o.err
		}
		if o.last {
			return 0, io.EOF
		}
		if o.buf == nil {
			return 0, errors.New("read a closed workspace archive")
		}
		o.err = o.open()
	}
	n := copy(p, o.plain)
	o.plain = o.plain[n:]
	return n, nil
}

// open reads and opens the next chunk. A chunk followed by more bytes is not the last.
func (o *opener) open() error {
	buf := *o.buf
	have := copy(buf, o.carry)
	n, err := io.ReadFull(o.r, buf[have:])
	have += n
	switch {
	case err == nil: // a full chunk and a byte of the next
		o.carry = append(o.carry[:0], buf[chunkSize+tagSize])
		have = chunkSize + tagSize
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		o.last, o.carry = true, nil
	default:
		return err
	}
	if o.last {
		o.nonce[len(o.nonce)-1] = 1
	}
	plain, err := o.aead.Open(buf[:0], o.nonce[:], buf[:have], o.ad)
	if err != nil {
		return ErrDamaged
	}
	o.plain = plain
	return nextNonce(&o.nonce)
}

// Close returns the opener's buffer to the pool.
func (o *opener) Close() {
	if o.buf != nil {
		chunkBufs.Put(o.buf)
		o.buf, o.plain = nil, nil
	}
}
