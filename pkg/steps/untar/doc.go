// Package untar implements the untar step: it extracts a tar archive, gzipped or not, into a
// directory of the workspace.
//
// Example:
//
//	steps:
//	- uses: untar
//	  config:
//	    inPath: ./downloads/chart.tgz
//	    outPath: ./src/charts/app
//	    stripComponents: 1
//
// gzip is detected from the archive's first bytes. The archive is extracted into a fresh
// directory beside outPath, which then replaces outPath whole, so a failed extraction leaves
// outPath as it was. Regular files, directories and symlinks are extracted; hard links and
// special files are skipped. stripComponents removes leading parts of entry names (entries
// with nothing left are skipped) and ignore takes .gitignore patterns matched against the
// names after stripping.
//
// Safety: an entry whose name is absolute or climbs out of outPath with "..", a symlink whose
// target is absolute or leads out of outPath, and an entry that would be written through a
// symlink are rejected: the step fails (terminal, reason PathEscapes) and nothing is written.
// (Kargo skips such entries; Dray refuses the whole archive instead, because an
// archive that carries them was built to attack.) Limits: 100 MiB of file data in all, 50 MiB
// per file; a larger archive fails the step. The step has no output.
package untar
