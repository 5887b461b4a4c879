package pipeline

import v1 "github.com/drayhq/dray/pkg/api/v1"

// Windows returns the promotion windows that apply to Stage s of project (docs/resources.md,
// "Promotion windows"): the ClusterConfig's that select the project and the Stage, then the
// ProjectConfig's that select the Stage, then the Stage's own. cluster, project and cfg may
// be nil; a nil project is matched by name only (s's namespace).
func Windows(cluster *v1.ClusterConfig, project *v1.Project, cfg *v1.ProjectConfig, s *v1.Stage) []v1.PromotionWindow {
	var out []v1.PromotionWindow
	if cluster != nil {
		p := v1.Stage{Metadata: v1.ObjectMeta{Name: s.Metadata.Namespace}}
		if project != nil {
			p.Metadata = project.Metadata
		}
		for _, w := range cluster.Spec.PromotionWindows {
			if (w.ProjectSelector == nil || selects(*w.ProjectSelector, &p)) && windowSelects(w, s) {
				out = append(out, w)
			}
		}
	}
	if cfg != nil {
		for _, w := range cfg.Spec.PromotionWindows {
			if windowSelects(w, s) {
				out = append(out, w)
			}
		}
	}
	return append(out, s.Spec.PromotionWindows...)
}

// windowSelects says whether w's stageSelector (or its earlier name, stages) selects s; a
// window with neither selects every Stage.
func windowSelects(w v1.PromotionWindow, s *v1.Stage) bool {
	sel := w.StageSelector
	if sel == nil {
		sel = w.Stages
	}
	return sel == nil || selects(*sel, s)
}
