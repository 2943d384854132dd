// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause

// helmrender renders a Helm chart's templates as `helm template` does, for tests on machines
// where no helm binary can be installed: Go's text/template with sprig (Debian's
// golang-github-masterminds-sprig-dev, the function library Helm uses), the functions Helm
// adds (include, tpl, required, toYaml, fromYaml, fromYamlArray, toJson, fromJson, lookup),
// and the objects Helm passes (.Values, .Release, .Chart, .Capabilities, .Template, .Files).
//
// Values are built as Helm builds them: the chart's values.yaml, coalesced under the values
// files given (in order) and the --set / --set-string overrides (Helm's strvals syntax:
// a.b=1,c[0]=x,d={x,y}); a null removes a default. Numbers read from YAML are float64, as
// Helm's YAML-through-JSON reading makes them.
//
// Build (GOPATH mode, Debian's Go packages):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o helmrender ./tests/deploy/helmrender
//
// Run:
//
//	helmrender [--name credwatch] [--namespace credwatch] [-f values.yaml]... [--set k=v]...
//	           [--kube-version v1.30.0] [--notes] CHART_DIR
//
// Prints each rendered manifest after "---" and "# Source: CHART/templates/FILE" (as helm
// template does), NOTES.txt last with --notes. Exit status 0, or 1 with "Error: ..." on
// stderr when a template fails (required, fail, a bad value).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
	yaml "gopkg.in/yaml.v2"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// ChartMeta is Chart.yaml as Helm exposes it in .Chart (the fields charts use).
type ChartMeta struct {
	APIVersion  string            `json:"apiVersion"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	AppVersion  string            `json:"appVersion"`
	Description string            `json:"description"`
	Type        string            `json:"type"`
	KubeVersion string            `json:"kubeVersion"`
	Home        string            `json:"home"`
	Icon        string            `json:"icon"`
	Keywords    []string          `json:"keywords"`
	Sources     []string          `json:"sources"`
	Annotations map[string]string `json:"annotations"`
	Deprecated  bool              `json:"deprecated"`
}

// APIVersions is .Capabilities.APIVersions: `.Capabilities.APIVersions.Has "apps/v1"`.
type APIVersions []string

func (a APIVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

type KubeVersion struct {
	Version, Major, Minor, GitVersion string
}

func (k KubeVersion) String() string { return k.Version }

type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions APIVersions
}

// Files is .Files: the chart's files other than templates, by path relative to the chart.
type Files map[string][]byte

func (f Files) Get(name string) string      { return string(f[name]) }
func (f Files) GetBytes(name string) []byte { return f[name] }

// fromYAMLish turns what yaml.v2 reads into what Helm's JSON round trip gives: string-keyed
// maps, []interface{} lists, float64 numbers.
func fromYAMLish(v interface{}) (interface{}, error) {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			c, err := fromYAMLish(x)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = c
		}
		return m, nil
	case []interface{}:
		l := make([]interface{}, len(t))
		for i, x := range t {
			c, err := fromYAMLish(x)
			if err != nil {
				return nil, err
			}
			l[i] = c
		}
		return l, nil
	case int:
		return float64(t), nil
	case int64:
		return float64(t), nil
	case uint64:
		return float64(t), nil
	case float32:
		return float64(t), nil
	}
	return v, nil
}

func parseYAML(data []byte) (interface{}, error) {
	var v interface{}
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return fromYAMLish(v)
}

// toYAML is Helm's toYaml: JSON first (so struct tags and numbers come out as JSON has
// them), then YAML with sorted keys, without the final newline.
func toYAML(v interface{}) string {
	j, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var y interface{}
	if err := yaml.Unmarshal(j, &y); err != nil {
		return ""
	}
	out, err := yaml.Marshal(y)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func fromYAML(s string) map[string]interface{} {
	v, err := parseYAML([]byte(s))
	if err != nil {
		return map[string]interface{}{"Error": err.Error()}
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		if v == nil {
			return map[string]interface{}{}
		}
		return map[string]interface{}{"Error": "not a mapping"}
	}
	return m
}

func fromYAMLArray(s string) []interface{} {
	v, err := parseYAML([]byte(s))
	if err != nil {
		return []interface{}{err.Error()}
	}
	l, ok := v.([]interface{})
	if !ok {
		if v == nil {
			return []interface{}{}
		}
		return []interface{}{"not a list"}
	}
	return l
}

func toJSON(v interface{}) string {
	j, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(j)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

// required fails the rendering with msg when val is missing: nil or an empty string.
func required(msg string, val interface{}) (interface{}, error) {
	if val == nil {
		return val, errors.New(msg)
	}
	if s, ok := val.(string); ok && s == "" {
		return val, errors.New(msg)
	}
	return val, nil
}

// coalesce puts the chart's defaults under the user's values: maps merge key by key, any
// other user value wins, and a user's null deletes the default.
func coalesce(user, defaults map[string]interface{}) map[string]interface{} {
	for k, dv := range defaults {
		uv, present := user[k]
		switch {
		case !present:
			user[k] = dv
		case uv == nil:
			delete(user, k)
		default:
			um, uok := uv.(map[string]interface{})
			dm, dok := dv.(map[string]interface{})
			if uok && dok {
				user[k] = coalesce(um, dm)
			}
		}
	}
	return user
}

// merge lays src over dst (values files and --set, in the order given).
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, sv := range src {
		sm, sok := sv.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			dst[k] = merge(dm, sm)
		} else {
			dst[k] = sv
		}
	}
	return dst
}

// splitUnescaped splits s at sep outside braces, keeping backslash escapes for later.
func splitUnescaped(s string, sep byte) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case s[i] == '{':
			depth++
		case s[i] == '}' && depth > 0:
			depth--
		case s[i] == sep && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// typedValue is what --set makes of a value: bool, null, int64, a {a,b} list, else a string.
func typedValue(s string, asString bool) interface{} {
	if asString {
		return unescape(s)
	}
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		var l []interface{}
		if inner := s[1 : len(s)-1]; inner != "" {
			for _, p := range splitUnescaped(inner, ',') {
				l = append(l, typedValue(p, false))
			}
		}
		return l
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && (s == "0" || s[0] != '0') {
		return n
	}
	return unescape(s)
}

// setPath stores v at a key path like a.b[1].c in m.
func setPath(m map[string]interface{}, path string, v interface{}) error {
	keys := splitUnescaped(path, '.')
	cur := m
	for i, raw := range keys {
		name, idx := raw, -1
		if j := strings.IndexByte(raw, '['); j >= 0 && strings.HasSuffix(raw, "]") {
			n, err := strconv.Atoi(raw[j+1 : len(raw)-1])
			if err != nil || n < 0 {
				return fmt.Errorf("--set %s: bad list index in %q", path, raw)
			}
			name, idx = raw[:j], n
		}
		name = unescape(name)
		last := i == len(keys)-1
		if idx < 0 {
			if last {
				cur[name] = v
				return nil
			}
			next, ok := cur[name].(map[string]interface{})
			if !ok {
				next = map[string]interface{}{}
				cur[name] = next
			}
			cur = next
			continue
		}
		l, _ := cur[name].([]interface{})
		for len(l) <= idx {
			l = append(l, nil)
		}
		cur[name] = l
		if last {
			l[idx] = v
			return nil
		}
		next, ok := l[idx].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			l[idx] = next
		}
		cur = next
	}
	return nil
}

func parseSet(expr string, asString bool, into map[string]interface{}) error {
	for _, pair := range splitUnescaped(expr, ',') {
		kv := strings.SplitN(pair, "=", 2)
		if len(kv) != 2 || kv[0] == "" {
			return fmt.Errorf("--set %s: not KEY=VALUE", pair)
		}
		if err := setPath(into, kv[0], typedValue(kv[1], asString)); err != nil {
			return err
		}
	}
	return nil
}

func readMap(file string) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	v, err := parseYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if v == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("%s: not a mapping of values", file)
	}
	return m, nil
}

type chart struct {
	dir       string
	meta      ChartMeta
	templates map[string]string // name (CHART/templates/FILE) -> text
	files     Files
}

func loadChart(dir string) (*chart, error) {
	c := &chart{dir: dir, templates: map[string]string{}, files: Files{}}
	raw, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	v, err := parseYAML(raw)
	if err != nil {
		return nil, fmt.Errorf("Chart.yaml: %v", err)
	}
	j, _ := json.Marshal(v)
	if err := json.Unmarshal(j, &c.meta); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %v", err)
	}
	if c.meta.Name == "" || c.meta.Version == "" {
		return nil, errors.New("Chart.yaml: name and version are required")
	}
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates"+string(filepath.Separator)) {
			c.templates[c.meta.Name+"/"+filepath.ToSlash(rel)] = string(data)
		} else {
			c.files[filepath.ToSlash(rel)] = data
		}
		return nil
	})
	return c, err
}

func kubeVersion(v string) (KubeVersion, error) {
	sv, err := semver.NewVersion(v)
	if err != nil {
		return KubeVersion{}, fmt.Errorf("--kube-version %s: %v", v, err)
	}
	full := "v" + sv.String()
	return KubeVersion{Version: full, GitVersion: full,
		Major: strconv.FormatUint(sv.Major(), 10), Minor: strconv.FormatUint(sv.Minor(), 10)}, nil
}

func checkKubeVersion(c *chart, kv KubeVersion) error {
	if c.meta.KubeVersion == "" {
		return nil
	}
	constraint, err := semver.NewConstraint(c.meta.KubeVersion)
	if err != nil {
		return fmt.Errorf("Chart.yaml kubeVersion %q: %v", c.meta.KubeVersion, err)
	}
	sv, _ := semver.NewVersion(kv.Version)
	if !constraint.Check(sv) {
		return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s",
			c.meta.KubeVersion, kv.Version)
	}
	return nil
}

// newTemplates parses every template of the chart into one set, each named by its path,
// with sprig's functions and Helm's.
func newTemplates(c *chart) (*template.Template, error) {
	t := template.New("gotpl").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	// Helm removes these: a chart must not read the environment of the machine rendering it.
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["fromYamlArray"] = fromYAMLArray
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	funcs["required"] = required
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil // as `helm template`: no cluster to look in
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var b bytes.Buffer
		err := t.ExecuteTemplate(&b, name, data)
		return b.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		p, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("tpl: %v", err)
		}
		var b bytes.Buffer
		if err := p.Execute(&b, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(b.String(), "<no value>", ""), nil
	}
	t.Funcs(funcs)
	names := make([]string, 0, len(c.templates))
	for n := range c.templates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := t.New(n).Parse(c.templates[n]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func run() error {
	var valueFiles, sets, setStrings multi
	name := flag.String("name", "credwatch", "the release's name")
	namespace := flag.String("namespace", "default", "the release's namespace")
	kube := flag.String("kube-version", "v1.30.0", "the Kubernetes version .Capabilities reports")
	notes := flag.Bool("notes", false, "also render NOTES.txt, last")
	flag.Var(&valueFiles, "f", "a values file (repeatable, later ones win)")
	flag.Var(&valueFiles, "values", "the same as -f")
	flag.Var(&sets, "set", "KEY=VALUE overrides (repeatable)")
	flag.Var(&setStrings, "set-string", "KEY=VALUE overrides whose values stay strings")
	flag.Parse()
	if flag.NArg() != 1 {
		return errors.New("usage: helmrender [options] CHART_DIR")
	}
	c, err := loadChart(flag.Arg(0))
	if err != nil {
		return err
	}
	kv, err := kubeVersion(*kube)
	if err != nil {
		return err
	}
	if err := checkKubeVersion(c, kv); err != nil {
		return err
	}

	defaults, err := readMap(filepath.Join(c.dir, "values.yaml"))
	if err != nil {
		return err
	}
	user := map[string]interface{}{}
	for _, f := range valueFiles {
		m, err := readMap(f)
		if err != nil {
			return err
		}
		user = merge(user, m)
	}
	for _, s := range sets {
		if err := parseSet(s, false, user); err != nil {
			return err
		}
	}
	for _, s := range setStrings {
		if err := parseSet(s, true, user); err != nil {
			return err
		}
	}
	values := coalesce(user, defaults)

	t, err := newTemplates(c)
	if err != nil {
		return err
	}
	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": *name, "Namespace": *namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Chart": c.meta,
		"Capabilities": Capabilities{KubeVersion: kv, APIVersions: APIVersions{
			"v1", "apps/v1", "rbac.authorization.k8s.io/v1", "policy/v1",
		}},
		"Files": c.files,
	}
	names := make([]string, 0, len(c.templates))
	for n := range c.templates {
		base := filepath.Base(n)
		if strings.HasPrefix(base, "_") || (base == "NOTES.txt" && !*notes) {
			continue
		}
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { // NOTES.txt last, the rest by name
		ni, nj := filepath.Base(names[i]) == "NOTES.txt", filepath.Base(names[j]) == "NOTES.txt"
		if ni != nj {
			return nj
		}
		return names[i] < names[j]
	})
	var out bytes.Buffer
	for _, n := range names {
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{
			"Name": n, "BasePath": c.meta.Name + "/templates",
		}
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, n, data); err != nil {
			return err
		}
		text := strings.ReplaceAll(b.String(), "<no value>", "")
		if strings.TrimSpace(text) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", n, strings.TrimRight(text, "\n"))
	}
	_, err = os.Stdout.Write(out.Bytes())
	return err
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
