package customstep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/yaml"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
)

// Output sources and formats (docs/resources.md#custompromotionstep).
const (
	SourcePipe   = "Pipe"
	SourceStdout = "Stdout"
	SourceStderr = "Stderr"
	SourceFile   = "File"

	FormatKeyValue = "KeyValue"
	FormatJSON     = "JSON"
	FormatYAML     = "YAML"
	FormatText     = "Text"
)

// MaxOutput bounds the JSON size of a step's final output map.
const MaxOutput = 256 << 10

// outputSpec is spec.output with its defaults filled in.
type outputSpec struct {
	source, path, format string
	transform            map[string]string
}

// outputOf checks spec.output and fills in its defaults: source Pipe; format KeyValue, or for
// a File the format its extension names.
func outputOf(o *v1.CustomStepOutput) (outputSpec, error) {
	out := outputSpec{source: SourcePipe}
	if o == nil {
		out.format = FormatKeyValue
		return out, nil
	}
	out.transform = o.Transform
	if o.Source != nil && o.Source.Type != "" {
		out.source, out.path = o.Source.Type, o.Source.Path
	}
	switch out.source {
	case SourcePipe, SourceStdout, SourceStderr:
		if out.path != "" {
			return out, fmt.Errorf("spec.output.source.path: only a File source has a path")
		}
	case SourceFile:
		if out.path == "" {
			return out, fmt.Errorf("spec.output.source.path: a File source needs a path")
		}
	default:
		return out, fmt.Errorf("spec.output.source.type: %q is not Pipe, Stdout, Stderr or File", out.source)
	}
	out.format = o.Format
	if out.format == "" {
		out.format = FormatKeyValue
		if out.source == SourceFile {
			switch path.Ext(out.path) {
			case ".json":
				out.format = FormatJSON
			case ".yaml", ".yml":
				out.format = FormatYAML
			}
		}
	}
	switch out.format {
	case FormatKeyValue, FormatJSON, FormatYAML, FormatText:
	default:
		return out, fmt.Errorf("spec.output.format: %q is not KeyValue, JSON, YAML or Text", out.format)
	}
	return out, nil
}

// parse turns what the command wrote into the step's outputs, transform applied.
func (o outputSpec) parse(ev *expr.Evaluator, raw []byte) (map[string]any, error) {
	var parsed map[string]any
	switch o.format {
	case FormatKeyValue:
		parsed = parseKeyValue(string(raw))
	case FormatText:
		parsed = map[string]any{"output": string(raw)}
	case FormatJSON, FormatYAML:
		if len(bytes.TrimSpace(raw)) == 0 {
			parsed = map[string]any{}
			break
		}
		var v any
		var err error
		if o.format == FormatJSON {
			err = json.Unmarshal(raw, &v)
		} else {
			err = yaml.Unmarshal(raw, &v)
		}
		if err != nil {
			return nil, fmt.Errorf("output is not %s: %w", o.format, err)
		}
		if m, ok := v.(map[string]any); ok {
			parsed = m
		} else {
			parsed = map[string]any{"output": v}
		}
	}
	out := parsed
	if len(o.transform) > 0 {
		out = make(map[string]any, len(o.transform))
		env := map[string]any{"output": parsed}
		for k, source := range o.transform {
			v, err := ev.Bare(source, env)
			if err != nil {
				return nil, fmt.Errorf("spec.output.transform.%s: %w", k, err)
			}
			out[k] = v
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	if len(b) > MaxOutput {
		return nil, fmt.Errorf("outputs are %d bytes as JSON, more than the limit of %d", len(b), MaxOutput)
	}
	return out, nil
}

// parseKeyValue reads key=value lines, GitHub Actions style: the value is everything after
// the first "=", quotes included; key<<DELIM starts a multi-line value ended by a DELIM line;
// other lines are ignored.
func parseKeyValue(s string) map[string]any {
	out := map[string]any{}
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if k, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(k, "=") && strings.TrimSpace(delim) != "" {
			delim = strings.TrimSpace(delim)
			var body []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				body = append(body, lines[i])
			}
			out[strings.TrimSpace(k)] = strings.Join(body, "\n")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			continue
		}
		out[strings.TrimSpace(k)] = v
	}
	return out
}
