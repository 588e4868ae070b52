// Lays out on local disk what the kubelet would give one container of a
// rendered workload, so that the real binary can run with exactly the chart's
// configuration:
//   - each volume mount <mountPath> becomes the directory <root><mountPath>:
//     a ConfigMap's data as files (the chart's own rendered ConfigMap), a
//     Secret's keys as files (the chart's own rendered Secret, else the
//     directory <secrets dir>/<secret name> the test prepared), an emptyDir
//     empty;
//   - every mount path inside those ConfigMap files and in the command line is
//     rewritten by prefix only: "<mountPath>/x" -> "<root><mountPath>/x";
//   - env: literal values and secretKeyRef/configMapKeyRef resolved against
//     the rendered objects (or the prepared Secret directories).
// Writes <root>/argv and <root>/env, NUL-separated (command + args; NAME=value).
// Usage: node materialize_pod.mjs <tools dir> <manifest.yaml> <Kind> <name>
//          <container> <root> <secrets dir>
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [toolsArg, file, kind, name, containerName, root, secretsDir] = process.argv.slice(2);
const toolsDir = toolsArg && path.resolve(toolsArg);
if (!secretsDir) {
  console.error("usage: node materialize_pod.mjs <tools dir> <manifest.yaml> <Kind> <name> <container> <root> <secrets dir>");
  process.exit(2);
}
const YAML = createRequire(path.join(toolsDir, "package.json"))("yaml");
const objects = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))
  .map((d) => d.toJS())
  .filter((o) => o != null);
const fail = (msg) => {
  console.error(`materialize_pod: ${msg}`);
  process.exit(1);
};
const byKindName = (k, n) => objects.find((o) => o.kind === k && o.metadata.name === n);

const workload = byKindName(kind, name) ?? fail(`no ${kind}/${name} in ${file}`);
const podSpec = kind === "Pod" ? workload.spec : workload.spec.template.spec;
const container = podSpec.containers.find((c) => c.name === containerName) ??
  fail(`no container ${containerName} in ${kind}/${name}`);

// Secret key -> bytes, from the rendered Secret or the prepared directory.
function secretData(secretName) {
  const rendered = byKindName("Secret", secretName);
  if (rendered) {
    const data = {};
    for (const [k, v] of Object.entries(rendered.data ?? {})) data[k] = Buffer.from(v, "base64");
    for (const [k, v] of Object.entries(rendered.stringData ?? {})) data[k] = Buffer.from(v);
    return data;
  }
  const dir = path.join(secretsDir, secretName);
  if (!fs.existsSync(dir)) fail(`Secret ${secretName}: not rendered and no ${dir}`);
  return Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
}

const mountPaths = (container.volumeMounts ?? []).map((m) => m.mountPath)
  .sort((a, b) => b.length - a.length);
// "<mountPath>" or "<mountPath>/..." wherever it starts a path in `text`, in
// one pass (so that a rewritten path is never rewritten again).
const mountPattern = new RegExp(
  `(^|[^\\w./-])(${mountPaths.map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})(?=/|$|[^\\w.-])`,
  "gm");
function rewrite(text) {
  return mountPaths.length ? text.replace(mountPattern, (_, pre, m) => `${pre}${root}${m}`) : text;
}

const volumes = Object.fromEntries((podSpec.volumes ?? []).map((v) => [v.name, v]));
for (const mount of container.volumeMounts ?? []) {
  if (mount.subPath) fail(`${mount.mountPath}: subPath mounts are not supported (nor wanted)`);
  const volume = volumes[mount.name] ?? fail(`no volume ${mount.name}`);
  const dir = path.join(root, mount.mountPath);
  fs.mkdirSync(dir, { recursive: true });
  let files = {};
  if (volume.configMap) {
    const cm = byKindName("ConfigMap", volume.configMap.name) ??
      fail(`ConfigMap ${volume.configMap.name} not rendered`);
    for (const [k, v] of Object.entries(cm.data ?? {})) files[k] = Buffer.from(rewrite(v));
  } else if (volume.secret) {
    files = secretData(volume.secret.secretName);
  } else if (!volume.emptyDir) {
    fail(`volume ${mount.name}: only configMap, secret and emptyDir volumes are supported`);
  }
  const items = volume.configMap?.items ?? volume.secret?.items;
  if (items) {
    files = Object.fromEntries(items.map((it) => [it.path, files[it.key] ??
      fail(`volume ${mount.name}: no key ${it.key}`)]));
  }
  const mode = volume.secret?.defaultMode ?? volume.configMap?.defaultMode ?? 0o644;
  for (const [k, v] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, k), v, { mode: mode & 0o777 });
    fs.chmodSync(path.join(dir, k), mode & 0o777);
  }
}

const env = [];
for (const e of container.env ?? []) {
  if (e.value !== undefined) {
    env.push(`${e.name}=${e.value}`);
  } else if (e.valueFrom?.secretKeyRef) {
    const { name: secretName, key } = e.valueFrom.secretKeyRef;
    const v = secretData(secretName)[key] ?? fail(`env ${e.name}: Secret ${secretName} has no key ${key}`);
    env.push(`${e.name}=${v.toString()}`);
  } else if (e.valueFrom?.configMapKeyRef) {
    const { name: cmName, key } = e.valueFrom.configMapKeyRef;
    const v = byKindName("ConfigMap", cmName)?.data?.[key] ?? fail(`env ${e.name}: no ConfigMap ${cmName} key ${key}`);
    env.push(`${e.name}=${v}`);
  } else {
    fail(`env ${e.name}: unsupported source`);
  }
}
const argv = [...(container.command ?? []), ...(container.args ?? [])].map(rewrite);
fs.writeFileSync(path.join(root, "argv"), argv.join("\0") + "\0");
fs.writeFileSync(path.join(root, "env"), env.length ? env.join("\0") + "\0" : "");
console.log(`${kind}/${name}/${containerName}: ${argv.join(" ")}`);
console.log(`  env: ${env.map((e) => e.split("=")[0]).join(" ") || "(none)"}`);
console.log(`  mounts: ${mountPaths.join(" ")} under ${root}`);
