// Command helm-render renders a Helm chart the way `helm template` does, for
// tests that run where no helm binary is available.
//
// It supports what this repository's chart uses: Chart.yaml, values.yaml
// merged with -f files and --set overrides, values.schema.json validation
// (a JSON Schema subset: type, enum, properties, additionalProperties, items,
// required, minimum, maximum, minLength, pattern, minItems), the sprig
// function library plus Helm's include, tpl, required, toYaml, fromYaml,
// toJson, fromJson and lookup (always an empty map, as in `helm template`),
// .Files.Get, .Capabilities.APIVersions.Has and .Release/.Chart/.Template.
//
// Caveats: no subcharts, no hooks, no manifest sorting by kind; documents are
// printed in file order, each with a "# Source:" header, empty ones omitted.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	var valueFiles, sets, setStrings, apiVersions stringList
	releaseName := flag.String("name", "release-name", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	notes := flag.Bool("notes", false, "render templates/NOTES.txt instead of the manifests")
	includeCRDs := flag.Bool("include-crds", false, "also print the files under crds/")
	kubeVersion := flag.String("kube-version", "v1.32.0", "Kubernetes version for .Capabilities.KubeVersion")
	flag.Var(&valueFiles, "f", "values file (repeatable)")
	flag.Var(&valueFiles, "values", "values file (repeatable)")
	flag.Var(&sets, "set", "a.b=c override (repeatable)")
	flag.Var(&setStrings, "set-string", "a.b=c override kept as a string (repeatable)")
	flag.Var(&apiVersions, "api-versions", "extra API version for .Capabilities.APIVersions (repeatable)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: helm-render [flags] CHART_DIR\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	out, err := run(flag.Arg(0), options{
		releaseName: *releaseName, namespace: *namespace, notes: *notes, includeCRDs: *includeCRDs,
		kubeVersion: *kubeVersion, valueFiles: valueFiles, sets: sets, setStrings: setStrings, apiVersions: apiVersions,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}

type options struct {
	releaseName, namespace, kubeVersion string
	notes, includeCRDs                  bool
	valueFiles, sets, setStrings        []string
	apiVersions                         []string
}

func run(chartDir string, o options) (string, error) {
	chartMeta, err := readYAMLMap(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return "", fmt.Errorf("Chart.yaml: %w", err)
	}
	chartName, _ := chartMeta["name"].(string)
	if chartName == "" {
		return "", errors.New("Chart.yaml: name is required")
	}
	if v, _ := chartMeta["apiVersion"].(string); v != "v2" {
		return "", fmt.Errorf("Chart.yaml: apiVersion must be v2, got %q", v)
	}

	values := map[string]interface{}{}
	if _, err := os.Stat(filepath.Join(chartDir, "values.yaml")); err == nil {
		if values, err = readYAMLMap(filepath.Join(chartDir, "values.yaml")); err != nil {
			return "", fmt.Errorf("values.yaml: %w", err)
		}
	}
	for _, f := range o.valueFiles {
		override, err := readYAMLMap(f)
		if err != nil {
			return "", fmt.Errorf("%s: %w", f, err)
		}
		values = mergeValues(values, override)
	}
	for _, s := range o.sets {
		if err := applySet(values, s, false); err != nil {
			return "", err
		}
	}
	for _, s := range o.setStrings {
		if err := applySet(values, s, true); err != nil {
			return "", err
		}
	}
	values = pruneNulls(values).(map[string]interface{})

	if schemaBytes, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json")); err == nil {
		var schema interface{}
		if err := json.Unmarshal(schemaBytes, &schema); err != nil {
			return "", fmt.Errorf("values.schema.json: %w", err)
		}
		if errs := validate(schema, toJSONValue(values), ""); len(errs) > 0 {
			return "", fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n- %s", chartName, strings.Join(errs, "\n- "))
		}
	}

	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": o.releaseName, "Namespace": o.namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Chart": chartObject(chartMeta),
		"Capabilities": map[string]interface{}{
			"APIVersions": apiVersionSet(append(defaultAPIVersions(), o.apiVersions...)),
			"KubeVersion": kubeVersionObject(o.kubeVersion),
		},
		"Files": files{root: chartDir},
	}

	// Every template file, helpers included, is parsed into one set named
	// "<chart>/templates/<file>", as Helm does, so include can reach any define.
	tmpl := template.New(chartName).Option("missingkey=zero")
	funcs := funcMap(tmpl)
	tmpl.Funcs(funcs)
	templateDir := filepath.Join(chartDir, "templates")
	var names []string
	err = filepath.Walk(templateDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(chartDir, p)
		name := path.Join(chartName, filepath.ToSlash(rel))
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := tmpl.New(name).Parse(string(data)); err != nil {
			return fmt.Errorf("parse error in %s: %w", name, err)
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)

	render := func(name string) (string, error) {
		scope := map[string]interface{}{}
		for k, v := range top {
			scope[k] = v
		}
		scope["Template"] = map[string]interface{}{"Name": name, "BasePath": path.Join(chartName, "templates")}
		var buf bytes.Buffer
		if err := tmpl.ExecuteTemplate(&buf, name, scope); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}

	var out strings.Builder
	if o.notes {
		name := path.Join(chartName, "templates", "NOTES.txt")
		if tmpl.Lookup(name) == nil {
			return "", errors.New("chart has no templates/NOTES.txt")
		}
		text, err := render(name)
		if err != nil {
			return "", err
		}
		return text, nil
	}

	if o.includeCRDs {
		crdFiles, _ := filepath.Glob(filepath.Join(chartDir, "crds", "*.yaml"))
		sort.Strings(crdFiles)
		for _, f := range crdFiles {
			data, err := os.ReadFile(f)
			if err != nil {
				return "", err
			}
			writeDocs(&out, path.Join(chartName, "crds", filepath.Base(f)), string(data))
		}
	}
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || !(strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")) {
			continue
		}
		text, err := render(name)
		if err != nil {
			return "", err
		}
		writeDocs(&out, name, text)
	}
	return out.String(), nil
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// writeDocs splits a rendered file on "---" lines and prints every document
// that holds more than whitespace and comments.
func writeDocs(out *strings.Builder, source, text string) {
	for _, doc := range docSeparator.Split(text, -1) {
		if isEmptyDoc(doc) {
			continue
		}
		fmt.Fprintf(out, "---\n# Source: %s\n%s\n", source, strings.Trim(doc, "\n"))
	}
}

func isEmptyDoc(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

func readYAMLMap(file string) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]interface{}{}
	}
	return m, nil
}

// mergeValues merges override into base like Helm: maps merge recursively,
// anything else is replaced; a null in the override removes the key later.
func mergeValues(base, override map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range override {
		if bm, ok := out[k].(map[string]interface{}); ok {
			if om, ok := v.(map[string]interface{}); ok {
				out[k] = mergeValues(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func pruneNulls(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				continue
			}
			t[k] = pruneNulls(e)
		}
		return t
	case []interface{}:
		for i, e := range t {
			t[i] = pruneNulls(e)
		}
		return t
	default:
		return v
	}
}

var indexedKey = regexp.MustCompile(`^(.+)\[(\d+)\]$`)

// applySet applies one --set expression: dotted keys (with "\." for a literal
// dot), "key[N]" list indexes, "{a,b}" lists and, unless asString, bool,
// integer and null scalars, as Helm's strvals parser does.
func applySet(values map[string]interface{}, expr string, asString bool) error {
	eq := strings.Index(expr, "=")
	if eq <= 0 {
		return fmt.Errorf("--set %q: expected key=value", expr)
	}
	keys := splitKey(expr[:eq])
	raw := expr[eq+1:]
	var value interface{} = raw
	if !asString {
		value = parseSetValue(raw)
	}
	var cur interface{} = values
	for i, k := range keys {
		last := i == len(keys)-1
		idx := -1
		if m := indexedKey.FindStringSubmatch(k); m != nil {
			k = m[1]
			idx, _ = strconv.Atoi(m[2])
		}
		parent, ok := cur.(map[string]interface{})
		if !ok {
			return fmt.Errorf("--set %q: %q is not a map", expr, strings.Join(keys[:i], "."))
		}
		if idx < 0 {
			if last {
				parent[k] = value
				return nil
			}
			child, ok := parent[k].(map[string]interface{})
			if !ok {
				child = map[string]interface{}{}
				parent[k] = child
			}
			cur = child
			continue
		}
		list, _ := parent[k].([]interface{})
		for len(list) <= idx {
			list = append(list, nil)
		}
		if last {
			list[idx] = value
			parent[k] = list
			return nil
		}
		child, ok := list[idx].(map[string]interface{})
		if !ok {
			child = map[string]interface{}{}
			list[idx] = child
		}
		parent[k] = list
		cur = child
	}
	return nil
}

func splitKey(key string) []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		if key[i] == '\\' && i+1 < len(key) && key[i+1] == '.' {
			b.WriteByte('.')
			i++
			continue
		}
		if key[i] == '.' {
			parts = append(parts, b.String())
			b.Reset()
			continue
		}
		b.WriteByte(key[i])
	}
	return append(parts, b.String())
}

func parseSetValue(raw string) interface{} {
	if strings.HasPrefix(raw, "{") && strings.HasSuffix(raw, "}") {
		inner := strings.TrimSpace(raw[1 : len(raw)-1])
		list := []interface{}{}
		if inner == "" {
			return list
		}
		for _, item := range strings.Split(inner, ",") {
			list = append(list, parseSetValue(strings.TrimSpace(item)))
		}
		return list
	}
	switch raw {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil && (raw == "0" || !strings.HasPrefix(raw, "0")) {
		return n
	}
	return raw
}

func chartObject(meta map[string]interface{}) map[string]interface{} {
	c := map[string]interface{}{}
	for k, v := range meta {
		if len(k) > 0 {
			c[strings.ToUpper(k[:1])+k[1:]] = v
		}
	}
	for _, k := range []string{"Name", "Version", "AppVersion", "Description"} {
		if _, ok := c[k]; !ok {
			c[k] = ""
		}
	}
	return c
}

type apiVersionSet []string

// Has reports whether a group/version, or a group/version/Kind, is available.
func (s apiVersionSet) Has(v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func defaultAPIVersions() []string {
	return []string{
		"v1", "apps/v1", "batch/v1", "policy/v1", "rbac.authorization.k8s.io/v1",
		"admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1", "networking.k8s.io/v1",
		"coordination.k8s.io/v1", "node.k8s.io/v1", "events.k8s.io/v1", "autoscaling/v2",
	}
}

func kubeVersionObject(v string) map[string]interface{} {
	trimmed := strings.TrimPrefix(v, "v")
	parts := strings.SplitN(trimmed, ".", 3)
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	return map[string]interface{}{"Version": "v" + trimmed, "GitVersion": "v" + trimmed, "Major": parts[0], "Minor": parts[1]}
}

type files struct{ root string }

// Get returns a chart file's contents, or "" when it does not exist (as Helm does).
func (f files) Get(name string) string {
	clean := path.Clean("/" + name)
	data, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(clean)))
	if err != nil {
		return ""
	}
	return string(data)
}

func funcMap(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	includedNames := map[string]int{}
	f["include"] = func(name string, data interface{}) (string, error) {
		if includedNames[name] > 100 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includedNames[name]++
		defer func() { includedNames[name]-- }()
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", text, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	f["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	return f
}

// toJSONValue normalises values to what encoding/json would produce, so the
// schema check sees float64 numbers, []interface{} and map[string]interface{}.
func toJSONValue(v interface{}) interface{} {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out interface{}
	_ = json.Unmarshal(data, &out)
	return out
}

// validate checks v against a JSON Schema subset and returns one message per
// violation, each prefixed with the value's path.
func validate(schema interface{}, v interface{}, at string) []string {
	s, ok := schema.(map[string]interface{})
	if !ok {
		return nil
	}
	where := at
	if where == "" {
		where = "(root)"
	}
	var errs []string
	if t, ok := s["type"]; ok && !typeMatches(t, v) {
		return []string{fmt.Sprintf("%s: Invalid type. Expected: %v, given: %s", where, t, jsonType(v))}
	}
	if enum, ok := s["enum"].([]interface{}); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) && jsonType(e) == jsonType(v) {
				found = true
				break
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %s must be one of the following: %s", where, where, enumList(enum)))
		}
	}
	switch val := v.(type) {
	case map[string]interface{}:
		props, _ := s["properties"].(map[string]interface{})
		if req, ok := s["required"].([]interface{}); ok {
			for _, r := range req {
				if _, ok := val[fmt.Sprint(r)]; !ok {
					errs = append(errs, fmt.Sprintf("%s: %v is required", where, r))
				}
			}
		}
		keys := make([]string, 0, len(val))
		for k := range val {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			child := joinPath(at, k)
			if ps, ok := props[k]; ok {
				errs = append(errs, validate(ps, val[k], child)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, fmt.Sprintf("%s: Additional property %s is not allowed", where, k))
				}
			case map[string]interface{}:
				errs = append(errs, validate(ap, val[k], child)...)
			}
		}
	case []interface{}:
		if min, ok := s["minItems"].(float64); ok && float64(len(val)) < min {
			errs = append(errs, fmt.Sprintf("%s: Array must have at least %v items", where, min))
		}
		if items, ok := s["items"]; ok {
			for i, e := range val {
				errs = append(errs, validate(items, e, fmt.Sprintf("%s.%d", strings.TrimPrefix(at, ""), i))...)
			}
		}
	case string:
		if min, ok := s["minLength"].(float64); ok && float64(len(val)) < min {
			errs = append(errs, fmt.Sprintf("%s: String length must be greater than or equal to %v", where, min))
		}
		if p, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(p); err == nil && !re.MatchString(val) {
				errs = append(errs, fmt.Sprintf("%s: Does not match pattern '%s'", where, p))
			}
		}
	case float64:
		if min, ok := s["minimum"].(float64); ok && val < min {
			errs = append(errs, fmt.Sprintf("%s: Must be greater than or equal to %v", where, min))
		}
		if max, ok := s["maximum"].(float64); ok && val > max {
			errs = append(errs, fmt.Sprintf("%s: Must be less than or equal to %v", where, max))
		}
	}
	return errs
}

func joinPath(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}

func enumList(enum []interface{}) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		b, _ := json.Marshal(e)
		parts[i] = string(b)
	}
	return strings.Join(parts, ", ")
}

func jsonType(v interface{}) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if t == float64(int64(t)) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []interface{}:
		return "array"
	case map[string]interface{}:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func typeMatches(t interface{}, v interface{}) bool {
	var types []string
	switch tt := t.(type) {
	case string:
		types = []string{tt}
	case []interface{}:
		for _, x := range tt {
			types = append(types, fmt.Sprint(x))
		}
	}
	actual := jsonType(v)
	for _, want := range types {
		if want == actual || (want == "number" && actual == "integer") {
			return true
		}
	}
	return false
}
