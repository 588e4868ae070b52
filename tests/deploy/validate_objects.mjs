// Validates every object of rendered manifests offline, twice:
//  1. against the Kubernetes (and cert-manager, Prometheus Operator) OpenAPI
//     schemas compiled into the kubernetes-models packages: required fields,
//     types, formats, enums;
//  2. with the TypeScript checker against the same packages' type
//     definitions, as object literals: that rejects unknown fields (a typo such
//     as `readinesProbe`), which the OpenAPI schemas let through.
// Usage: node validate_objects.mjs <tools dir> <manifest.yaml>...
// Exit 0 when every object passes; prints one line per object and per error.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [toolsArg, ...files] = process.argv.slice(2);
const toolsDir = toolsArg && path.resolve(toolsArg);
if (!toolsDir || files.length === 0) {
  console.error("usage: node validate_objects.mjs <tools dir> <manifest.yaml>...");
  process.exit(2);
}
const require = createRequire(path.join(toolsDir, "package.json"));
const YAML = require("yaml");

// apiVersion -> the package folder that models it.
function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "cert-manager.io") return `@kubernetes-models/cert-manager/${apiVersion}/${kind}`;
  if (group === "monitoring.coreos.com") {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  if (group === "") return `kubernetes-models/${version}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

const objects = [];
for (const file of files) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) {
      console.error(`${file}: YAML error: ${doc.errors[0].message}`);
      process.exit(1);
    }
    const obj = doc.toJS();
    if (obj == null) continue;
    objects.push({ file, obj });
  }
}
if (objects.length === 0) {
  console.error("no objects found");
  process.exit(1);
}

const failed = new Set();  // indexes into objects
const tsLines = [];
const tsObjects = [];  // indexes into objects, in the order of tsLines' pairs
for (const [i, { file, obj }] of objects.entries()) {
  const name = `${path.basename(file)}: ${obj.kind}/${obj.metadata?.name}`;
  if (!obj.apiVersion || !obj.kind) {
    console.log(`FAIL ${name}: no apiVersion or kind`);
    failed.add(i);
    continue;
  }
  const mod = modulePath(obj.apiVersion, obj.kind);
  let Model;
  try {
    // The packages are ES modules whose exports only `import` resolves: load
    // the file itself.
    const url = pathToFileURL(path.join(toolsDir, "node_modules", `${mod}.js`)).href;
    Model = (await import(url))[obj.kind];
    if (typeof Model !== "function") throw new Error("not exported");
  } catch (e) {
    console.log(`FAIL ${name}: no schema for ${obj.apiVersion} ${obj.kind} (${mod})`);
    failed.add(i);
    continue;
  }
  try {
    new Model(obj).validate();
    console.log(`ok   ${name} (${obj.apiVersion})`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e.message}`);
    failed.add(i);
  }
  tsObjects.push(i);
  tsLines.push(`import type { I${obj.kind} as T${i} } from "${mod}";`);
  tsLines.push(`export const o${i}: T${i} = ${JSON.stringify(obj)};`);
}

// The TypeScript pass: one file of typed object literals, checked with
// excess-property checks. It lives under the tools dir so that module
// resolution finds the packages.
const dir = fs.mkdtempSync(path.join(toolsDir, "tscheck-"));
try {
  fs.writeFileSync(path.join(dir, "objects.ts"), tsLines.join("\n") + "\n");
  const tsc = path.join(toolsDir, "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--skipLibCheck", "--module",
      "nodenext", "--moduleResolution", "nodenext", "--target", "es2022",
      path.join(dir, "objects.ts")], { encoding: "utf8", stdio: "pipe" });
    console.log(`ok   no unknown fields or mistyped values in ${objects.length} objects (TypeScript)`);
  } catch (e) {
    const out = `${e.stdout ?? ""}${e.stderr ?? ""}`;
    for (const line of out.split("\n").filter((l) => l.trim())) {
      // objects.ts(LINE,COL): lines 2k+1 and 2k+2 are the k-th object's.
      const m = /objects\.ts\((\d+),\d+\): (.*)/.exec(line);
      const k = m ? tsObjects[Math.floor((Number(m[1]) - 1) / 2)] : undefined;
      if (k !== undefined) {
        const { file, obj } = objects[k];
        console.log(`FAIL ${path.basename(file)}: ${obj.kind}/${obj.metadata?.name}: ${m[2]}`);
        failed.add(k);
      } else {
        console.log(`FAIL ${line}`);
        failed.add(-1);
      }
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
const bad = [...failed].filter((k) => k >= 0).length;
console.log(`${objects.length - bad} objects valid, ${bad} invalid${failed.has(-1) ? " (and checker errors)" : ""}`);
process.exit(failed.size === 0 ? 0 : 1);
