package stage

import v1 "github.com/drayhq/dray/pkg/api/v1"

// Forget takes a deleted stage out of a Freight's status fs: it is no longer currentlyIn,
// verifiedIn, approvedFor or rejectedFor it, so a Freight the Stage held is no longer in use
// and an approval or verification does not pass to a new Stage of the same name
// (docs/resources.md, "Deleting resources"). False when fs did not mention the Stage.
func Forget(fs *v1.FreightStatus, stage string) bool {
	_, in := fs.CurrentlyIn[stage]
	_, verified := fs.VerifiedIn[stage]
	_, approved := fs.ApprovedFor[stage]
	_, rejected := fs.RejectedFor[stage]
	delete(fs.CurrentlyIn, stage)
	delete(fs.VerifiedIn, stage)
	delete(fs.ApprovedFor, stage)
	delete(fs.RejectedFor, stage)
	return in || verified || approved || rejected
}
