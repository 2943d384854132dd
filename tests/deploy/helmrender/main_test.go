// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause

// The renderer's own rules, where they are Helm's: how values are built (--set syntax,
// coalescing, null removal, JSON numbers) and what Helm's functions return. Run with
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go test ./tests/deploy/helmrender
//
// (tests/e2e/test_deploy.py runs it).
package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSetSyntax(t *testing.T) {
	got := map[string]interface{}{}
	for _, s := range []string{
		"a.b=1,a.c=true,a.d=null,a.e=text",
		`f={x,2},g[1].h=y,i=007,j=a\,b,k\.l=m`,
	} {
		if err := parseSet(s, false, got); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]interface{}{
		"a":   map[string]interface{}{"b": int64(1), "c": true, "d": nil, "e": "text"},
		"f":   []interface{}{"x", int64(2)},
		"g":   []interface{}{nil, map[string]interface{}{"h": "y"}},
		"i":   "007", // a leading zero keeps it a string, as Helm's strvals does
		"j":   "a,b",
		"k.l": "m",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("--set gave %#v, want %#v", got, want)
	}
	s := map[string]interface{}{}
	if err := parseSet("n=12", true, s); err != nil || s["n"] != "12" {
		t.Fatalf("--set-string n=12 gave %#v (%v)", s["n"], err)
	}
	if err := parseSet("novalue", false, s); err == nil {
		t.Fatal("--set without '=' was accepted")
	}
}

func TestCoalesce(t *testing.T) {
	defaults, _ := parseYAML([]byte("a: {b: 1, c: 2}\nd: [1, 2]\ne: keep\nf: gone\n"))
	user, _ := parseYAML([]byte("a: {c: 3}\nd: [9]\nf: null\nx: new\n"))
	got := coalesce(user.(map[string]interface{}), defaults.(map[string]interface{}))
	want := map[string]interface{}{
		"a": map[string]interface{}{"b": 1.0, "c": 3.0}, // maps merge key by key
		"d": []interface{}{9.0},                         // lists are replaced whole
		"e": "keep",
		"x": "new", // f: null removed the default
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("coalesce gave %#v, want %#v", got, want)
	}
}

func TestToYAMLIsHelms(t *testing.T) {
	v, _ := parseYAML([]byte("z: 9464\na: [x, {k: true}]\nbig: 1000000\n"))
	got := toYAML(v)
	// sorted keys, lists at the parent's indentation, JSON numbers written as integers,
	// no final newline
	want := "a:\n- x\n- k: true\nbig: 1000000\nz: 9464"
	if got != want {
		t.Fatalf("toYaml gave %q, want %q", got, want)
	}
	if l := fromYAMLArray("- a\n- 2\n"); !reflect.DeepEqual(l, []interface{}{"a", 2.0}) {
		t.Fatalf("fromYamlArray gave %#v", l)
	}
	if m := fromYAML("[1]"); m["Error"] == nil {
		t.Fatalf("fromYaml of a list gave no Error: %#v", m)
	}
}

func TestRequiredIncludeTpl(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\nappVersion: \"2\"\n")
	write("files/f.txt", "from a file")
	write("templates/_h.tpl", `{{- define "c.x" -}}x={{ .Values.x }}{{- end -}}`)
	write("templates/a.yaml", `{{ include "c.x" . }} {{ tpl .Values.t . }} {{ .Chart.AppVersion }}`+
		` {{ .Files.Get "files/f.txt" }} {{ .Template.Name }} {{ .Values.missing }}`)
	c, err := loadChart(dir)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := newTemplates(c)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]interface{}{
		"Values":   map[string]interface{}{"x": 1.0, "t": `{{ include "c.x" . }}!`},
		"Chart":    c.meta,
		"Files":    c.files,
		"Template": map[string]interface{}{"Name": "c/templates/a.yaml"},
	}
	var b bytes.Buffer
	if err := tm.ExecuteTemplate(&b, "c/templates/a.yaml", data); err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(b.String(), "<no value>", "")
	if want := "x=1 x=1! 2 from a file c/templates/a.yaml "; got != want {
		t.Fatalf("rendered %q, want %q", got, want)
	}
	if _, err := required("say what", ""); err == nil || err.Error() != "say what" {
		t.Fatalf("required of an empty string: %v", err)
	}
	if v, err := required("say what", false); err != nil || v != false {
		t.Fatalf("required of false (a value): %v %v", v, err)
	}
}
