package secret_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/secret"
)

func sealableJob() *v1.StepJob {
	return &v1.StepJob{Project: "shop", Stage: "dev", Promotion: "dev.1", Step: 2, Alias: "call", Uses: "http", Attempt: 1,
		Config:         map[string]any{"url": "https://api.example.com", "token": "s3cr3t-value"},
		RecordedConfig: map[string]any{"url": "https://api.example.com", "token": "[redacted]"}}
}

// TestSealJob: a job whose config read secrets travels with neither its config nor the
// values in clear, and opens, with the values, only with the same key and only as the job it
// was sealed for.
func TestSealJob(t *testing.T) {
	st, key := newStore(t)
	job := sealableJob()
	want := sealableJob().Config
	if err := st.SealJob(job, []string{"s3cr3t-value"}); err != nil {
		t.Fatalf("SealJob() = %v", err)
	}
	wire, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(wire), "s3cr3t") || job.Config != nil || len(job.Sealed) == 0 {
		t.Fatalf("sealed job = %s; want no config and no secret in clear", wire)
	}

	// Another process with the same key (an executor) opens it from the wire.
	open := func(st *secret.Store, wire []byte, mutate func(*v1.StepJob)) (*v1.StepJob, []string, error) {
		var got v1.StepJob
		if err := json.Unmarshal(wire, &got); err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(&got)
		}
		values, err := st.OpenJob(&got)
		return &got, values, err
	}
	b, _ := keyAndBus(t)
	executor := openStore(t, b, key)
	got, values, err := open(executor, wire, nil)
	if err != nil {
		t.Fatalf("OpenJob() = %v", err)
	}
	if diff := cmp.Diff(want, got.Config); diff != "" {
		t.Errorf("opened config (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"s3cr3t-value"}, values); diff != "" || got.Sealed != nil {
		t.Errorf("opened secrets (-want +got):\n%s; Sealed = %v, want nil", diff, got.Sealed)
	}

	otherKey, _ := newStore(t)
	for _, tt := range []struct {
		name   string
		st     *secret.Store
		mutate func(*v1.StepJob)
		want   error
	}{
		{"another key", otherKey, nil, nil},
		{"moved to another project", executor, func(j *v1.StepJob) { j.Project = "other" }, nil},
		{"moved to another attempt", executor, func(j *v1.StepJob) { j.Attempt = 2 }, nil},
		{"moved to another step kind", executor, func(j *v1.StepJob) { j.Uses = "git-clone" }, nil},
		{"damaged", executor, func(j *v1.StepJob) { j.Sealed[len(j.Sealed)-1] ^= 1 }, nil},
		{"no key", nil, nil, secret.ErrNoKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, values, err := open(tt.st, wire, tt.mutate)
			if err == nil || values != nil || got.Config != nil {
				t.Fatalf("OpenJob() = %v, %v, config %v; want an error and nothing opened", values, err, got.Config)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("OpenJob() = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("OpenJob() error shows the secret: %v", err)
			}
		})
	}
}

// TestSealJobWithoutSecrets: a config that read no secret stays in clear, so an executor
// without the key runs it.
func TestSealJobWithoutSecrets(t *testing.T) {
	st, _ := newStore(t)
	job := sealableJob()
	if err := st.SealJob(job, nil); err != nil || job.Sealed != nil || job.Config == nil {
		t.Fatalf("SealJob(no secrets) = %v, Sealed %v, Config %v; want the job unchanged", err, job.Sealed, job.Config)
	}
	var none *secret.Store
	if values, err := none.OpenJob(job); err != nil || values != nil || job.Config == nil {
		t.Errorf("OpenJob(clear job) without a key = %v, %v; want the job as it is", values, err)
	}
	if err := none.SealJob(job, []string{"x"}); !errors.Is(err, secret.ErrNoKey) {
		t.Errorf("SealJob() without a key = %v, want ErrNoKey", err)
	}
}
