package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// jobKeyInfo derives the key that seals step jobs from the secrets key, so that a sealed job
// and a stored Secret never share a key: neither can be passed off as the other.
const jobKeyInfo = "dray v1 step job config"

// ErrNoKey is why a job sealed by the scheduler cannot be opened: this process has no
// secrets key.
var ErrNoKey = errors.New("its config holds secret values, sealed with the secrets key, and this executor has none: start it with --secrets-key-file or $DRAY_SECRETS_KEY_FILE, holding the scheduler's key")

// sealedConfig is what StepJob.Sealed hides: the rendered config and the secret values it
// was rendered with, which the executor redacts from everything it reports.
type sealedConfig struct {
	Config  map[string]any `json:"config"`
	Secrets []string       `json:"secrets,omitempty"`
}

// newJobAEAD returns the AES-256-GCM that seals step jobs, under a key derived from the
// secrets key with HKDF-SHA256.
func newJobAEAD(key []byte) (cipher.AEAD, error) {
	sub, err := hkdf.Key(sha256.New, key, nil, jobKeyInfo, KeySize)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	block, err := aes.NewCipher(sub)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	return cipher.NewGCM(block)
}

// jobAD binds a sealed config to its job: copied into another job (another project,
// promotion, step, attempt or kind) it does not open.
func jobAD(job *v1.StepJob) []byte {
	return []byte(job.Project + "\x00" + job.Promotion + "\x00" + strconv.Itoa(job.Step) + "\x00" +
		job.Alias + "\x00" + job.Uses + "\x00" + strconv.Itoa(job.Attempt))
}

// SealJob moves job.Config, which was rendered with the secret values in secrets, into
// job.Sealed, encrypted for the executors, and clears job.Config; job.RecordedConfig stays
// as the clear, redacted view. With no secrets it leaves the job as it is: a config that read
// no secret travels in clear, so executors without a key still run it.
func (st *Store) SealJob(job *v1.StepJob, secrets []string) error {
	if len(secrets) == 0 {
		return nil
	}
	if st == nil {
		return fmt.Errorf("seal the config of step %q: %w", job.Alias, ErrNoKey)
	}
	plain, err := json.Marshal(sealedConfig{Config: job.Config, Secrets: secrets})
	if err != nil {
		return fmt.Errorf("seal the config of step %q: %w", job.Alias, err)
	}
	nonce := make([]byte, st.jobs.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("seal the config of step %q: %w", job.Alias, err)
	}
	job.Sealed = st.jobs.Seal(nonce, nonce, plain, jobAD(job))
	job.Config = nil
	return nil
}

// OpenJob restores job.Config from job.Sealed and returns the secret values it was rendered
// with. A job that is not sealed is returned as it is, with no secrets. A nil Store opens
// nothing: a sealed job then fails with ErrNoKey.
func (st *Store) OpenJob(job *v1.StepJob) (secrets []string, err error) {
	if len(job.Sealed) == 0 {
		return nil, nil
	}
	if st == nil {
		return nil, ErrNoKey
	}
	n := st.jobs.NonceSize()
	if len(job.Sealed) < n {
		return nil, errors.New("its sealed config is damaged")
	}
	plain, err := st.jobs.Open(nil, job.Sealed[:n], job.Sealed[n:], jobAD(job))
	if err != nil {
		return nil, errors.New("its sealed config does not open with this executor's secrets key: it was sealed for another job, or with another key than the scheduler's --secrets-key-file")
	}
	var s sealedConfig
	if err := json.Unmarshal(plain, &s); err != nil {
		return nil, fmt.Errorf("its sealed config: %w", err)
	}
	job.Config, job.Sealed = s.Config, nil
	return s.Secrets, nil
}
