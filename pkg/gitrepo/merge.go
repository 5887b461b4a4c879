package gitrepo

import (
	"bytes"
	"io"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// file is a tree entry that is not a directory: a blob, a symlink or a submodule.
type file struct {
	mode filemode.FileMode
	hash plumbing.Hash
}

// applyChanges applies the difference between the trees from and to onto the tree base and
// stores the resulting tree. Per file it is a three-way merge with from as the ancestor; a file
// both sides changed is merged line by line when it is text. A *ConflictError lists the files
// that could not be merged.
func (r *Repo) applyChanges(from, to, base *object.Tree) (plumbing.Hash, error) {
	before, err := flatten(from)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	after, err := flatten(to)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	result, err := flatten(base)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	paths := map[string]bool{}
	for p := range before {
		paths[p] = true
	}
	for p := range after {
		paths[p] = true
	}
	var conflicts []string
	for p := range paths {
		b, inB := before[p]
		o, inO := after[p]
		t, inT := result[p]
		switch {
		case inB == inO && b == o: // unchanged by the commit
		case inO == inT && o == t: // already there
		case inB == inT && b == t: // untouched upstream: take the commit's side
			if inO {
				result[p] = o
			} else {
				delete(result, p)
			}
		default:
			merged, ok, err := r.mergeFile(b, o, t, inB && inO && inT)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if !ok {
				conflicts = append(conflicts, p)
				continue
			}
			result[p] = merged
		}
	}
	if len(conflicts) == 0 {
		var h plumbing.Hash
		if h, conflicts, err = r.writeTree(result); err != nil {
			return plumbing.ZeroHash, err
		}
		if len(conflicts) == 0 {
			return h, nil
		}
	}
	sort.Strings(conflicts)
	return plumbing.ZeroHash, &ConflictError{Paths: conflicts}
}

// mergeFile merges a file that both sides changed. Only regular files present on all three
// sides merge, and only when their lines do not overlap.
func (r *Repo) mergeFile(base, ours, theirs file, allPresent bool) (file, bool, error) {
	if !allPresent || !base.mode.IsRegular() || !ours.mode.IsRegular() || !theirs.mode.IsRegular() {
		return file{}, false, nil
	}
	mode := ours.mode
	switch {
	case ours.mode == theirs.mode, base.mode == theirs.mode:
	case base.mode == ours.mode:
		mode = theirs.mode
	default:
		return file{}, false, nil
	}
	var text [3][]byte
	for i, h := range []plumbing.Hash{base.hash, ours.hash, theirs.hash} {
		b, err := readBlob(r.repo.Storer, h)
		if err != nil {
			return file{}, false, err
		}
		text[i] = b
	}
	merged, ok := merge3(text[0], text[1], text[2])
	if !ok {
		return file{}, false, nil
	}
	h, err := storeBlob(r.repo.Storer, merged)
	if err != nil {
		return file{}, false, err
	}
	return file{mode: mode, hash: h}, true, nil
}

// flatten lists the non-directory entries of t by slash-separated path.
func flatten(t *object.Tree) (map[string]file, error) {
	files := map[string]file{}
	walker := object.NewTreeWalker(t, true, nil)
	defer walker.Close()
	for {
		name, e, err := walker.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if e.Mode != filemode.Dir {
			files[name] = file{mode: e.Mode, hash: e.Hash}
		}
	}
}

// dirNode is a directory being assembled by writeTree.
type dirNode struct {
	files map[string]file
	dirs  map[string]*dirNode
}

// writeTree stores the tree holding files and returns its hash. Paths that are both a file
// and a directory are returned as conflicts.
func (r *Repo) writeTree(files map[string]file) (plumbing.Hash, []string, error) {
	root := &dirNode{files: map[string]file{}, dirs: map[string]*dirNode{}}
	var conflicts []string
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		d, parts := root, strings.Split(p, "/")
		ok := true
		for _, name := range parts[:len(parts)-1] {
			if _, isFile := d.files[name]; isFile {
				ok = false
				break
			}
			next := d.dirs[name]
			if next == nil {
				next = &dirNode{files: map[string]file{}, dirs: map[string]*dirNode{}}
				d.dirs[name] = next
			}
			d = next
		}
		name := parts[len(parts)-1]
		if _, isDir := d.dirs[name]; !ok || isDir {
			conflicts = append(conflicts, p)
			continue
		}
		d.files[name] = files[p]
	}
	if len(conflicts) > 0 {
		return plumbing.ZeroHash, conflicts, nil
	}
	h, err := r.storeDir(root)
	return h, nil, err
}

func (r *Repo) storeDir(d *dirNode) (plumbing.Hash, error) {
	entries := make([]object.TreeEntry, 0, len(d.files)+len(d.dirs))
	for name, f := range d.files {
		entries = append(entries, object.TreeEntry{Name: name, Mode: f.mode, Hash: f.hash})
	}
	for name, sub := range d.dirs {
		h, err := r.storeDir(sub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	// Git orders entries by name, a directory's name compared as if it ended in "/".
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	return storeTree(r.repo.Storer, &object.Tree{Entries: entries})
}

// isBinary reports whether content looks binary, as git does: a NUL in the first 8000 bytes.
func isBinary(content []byte) bool {
	return bytes.IndexByte(content[:min(len(content), 8000)], 0) >= 0
}
