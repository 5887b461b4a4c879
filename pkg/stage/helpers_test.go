package stage_test

import (
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

var (
	now    = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	origin = v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "app"}
	other  = v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "db"}
)

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

// promo is a Promotion named name of freight into prod, in phase; options change it.
func promo(name, freight, phase string, opts ...func(*v1.Promotion)) *v1.Promotion {
	p := &v1.Promotion{}
	p.Metadata.Name, p.Metadata.Namespace = name, "demo"
	p.Spec.Stage, p.Spec.Freight = "prod", freight
	p.Status.Phase = phase
	p.Status.Freight = &v1.Freight{Origin: origin}
	p.Status.Freight.Metadata.Name = freight
	if phase == v1.PhaseSucceeded || phase == v1.PhaseFailed || phase == v1.PhaseErrored || phase == v1.PhaseAborted {
		p.Status.FinishedAt = at(0)
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func annotated(key, value string) func(*v1.Promotion) {
	return func(p *v1.Promotion) {
		if p.Metadata.Annotations == nil {
			p.Metadata.Annotations = map[string]string{}
		}
		p.Metadata.Annotations[key] = value
	}
}

var (
	verificationRun = annotated(v1.AnnotationVerifies, "prod.01a.f1")
	byAuto          = annotated(v1.AnnotationCreateActor, v1.ActorAutoPromotion)
	byAna           = annotated(v1.AnnotationCreateActor, "ana")
	overridden      = annotated(v1.AnnotationWindowOverride, "ana")
)

func message(msg string) func(*v1.Promotion) { return func(p *v1.Promotion) { p.Status.Message = msg } }

func ref(name, freight string) v1.PromotionReference {
	return v1.PromotionReference{Name: name, Freight: freight}
}

// stageSpec is Stage prod requesting origin from qa (or directly, with no stages).
func stageSpec(src v1.FreightSources, opts ...func(*v1.Stage)) *v1.Stage {
	s := &v1.Stage{Spec: v1.StageSpec{RequestedFreight: []v1.FreightRequest{{Origin: origin, Sources: src}}}}
	s.Metadata.Name, s.Metadata.Namespace = "prod", "demo"
	s.Spec.PromotionTemplate = &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{{Uses: "git-clone"}}}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// freight builds a Freight of origin discovered at now+discovered, verified in the named
// stages; "qa@-2h" also says it entered qa two hours ago and is still there.
func freight(name string, discovered time.Duration, verified ...string) v1.Freight {
	f := v1.Freight{Origin: origin, DiscoveredAt: at(discovered)}
	f.Metadata.Name = name
	f.Status.VerifiedIn = map[string]v1.VerifiedStage{}
	f.Status.CurrentlyIn = map[string]v1.CurrentStage{}
	for _, v := range verified {
		st, since, ok := strings.Cut(v, "@")
		f.Status.VerifiedIn[st] = v1.VerifiedStage{VerifiedAt: at(-time.Minute)}
		if ok {
			d, _ := time.ParseDuration(since)
			f.Status.CurrentlyIn[st] = v1.CurrentStage{Since: at(d)}
		}
	}
	return f
}

func autoOn() *v1.ProjectConfig {
	return &v1.ProjectConfig{Spec: v1.ProjectConfigSpec{PromotionPolicies: []v1.PromotionPolicy{{Stage: "prod", AutoPromotionEnabled: true}}}}
}
