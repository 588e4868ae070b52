// Checks the rules the chart promises (issue 4) on a rendered manifest:
// labels, hardening, probes on the ops port, Secrets as whole directories,
// the DSN from a Secret, the checksum annotation, the migration hook, and which
// optional objects are present.
// Usage: node chart_rules.mjs <tools dir> <manifest.yaml> default|all-on
// Prints one line per rule checked; exit 0 when all hold.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [toolsArg, file, mode] = process.argv.slice(2);
const toolsDir = toolsArg && path.resolve(toolsArg);
if (!toolsDir || !file || !["default", "all-on"].includes(mode)) {
  console.error("usage: node chart_rules.mjs <tools dir> <manifest.yaml> default|all-on");
  process.exit(2);
}
const YAML = createRequire(path.join(toolsDir, "package.json"))("yaml");
const objects = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))
  .map((d) => d.toJS())
  .filter((o) => o != null);

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
}
const find = (kind, pred = () => true) => objects.filter((o) => o.kind === kind && pred(o));
const hook = (o) => o.metadata?.annotations?.["helm.sh/hook"];

// Labels (Helm best practices) on every object.
for (const o of objects) {
  const l = o.metadata?.labels ?? {};
  check(["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by",
    "app.kubernetes.io/version", "helm.sh/chart", "app.kubernetes.io/component"]
    .every((k) => k in l), `${o.kind}/${o.metadata?.name}: app.kubernetes.io labels`);
}

// Every pod spec: non-root, read-only root, no privilege escalation, no
// subPath, resources set.
function podSpecs() {
  const specs = [];
  for (const o of objects) {
    if (o.kind === "Deployment" || o.kind === "Job") specs.push([o, o.spec.template.spec]);
    if (o.kind === "Pod") specs.push([o, o.spec]);
  }
  return specs;
}
for (const [o, spec] of podSpecs()) {
  const where = `${o.kind}/${o.metadata.name}`;
  check(spec.securityContext?.runAsNonRoot === true && spec.securityContext?.runAsUser > 0,
    `${where}: runs as a non-root user`);
  check(spec.automountServiceAccountToken === false, `${where}: no service account token`);
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const sc = c.securityContext ?? {};
    check(sc.readOnlyRootFilesystem === true, `${where}/${c.name}: read-only root filesystem`);
    check(sc.allowPrivilegeEscalation === false, `${where}/${c.name}: no privilege escalation`);
    check(sc.capabilities?.drop?.includes("ALL"), `${where}/${c.name}: drops all capabilities`);
    check(c.resources?.requests?.cpu && c.resources?.requests?.memory &&
      c.resources?.limits?.cpu && c.resources?.limits?.memory,
      `${where}/${c.name}: resource requests and limits`);
    check((c.volumeMounts ?? []).every((m) => !m.subPath && !m.subPathExpr),
      `${where}/${c.name}: no subPath mounts (rotation works)`);
  }
}

// The Deployment.
const [dep] = find("Deployment");
check(dep, "a Deployment");
const hpa = find("HorizontalPodAutoscaler");
check(hpa.length > 0 ? dep.spec.replicas === undefined : dep.spec.replicas >= 2,
  "several replicas (or an HPA owns the count)");
const pod = dep.spec.template;
const c = pod.spec.containers.find((x) => x.name === "tokend");
check(c?.command?.[0] === "/usr/local/bin/tokend" && c.args?.[0] === "serve" &&
  c.args?.[1] === "--config", "the container runs `tokend serve --config FILE`");
check((pod.spec.topologySpreadConstraints ?? []).length > 0, "topology spread constraints");
check(/^[0-9a-f]{64}$/.test(pod.metadata.annotations?.["checksum/config"] ?? ""),
  "checksum/config annotation on the pod template");
const dsn = (c.env ?? []).find((e) => e.name === "TOKEND_DATABASE_DSN");
check(dsn?.valueFrom?.secretKeyRef?.name && !dsn.value, "TOKEND_DATABASE_DSN from a Secret");
const cm = find("ConfigMap", (o) => !hook(o))[0];
check(cm && !/dsn:/.test(cm.data["tokend.yaml"].replace(/#.*$/gm, "")),
  "the ConfigMap holds the config and no DSN");
const volumes = Object.fromEntries(pod.spec.volumes.map((v) => [v.name, v]));
const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, volumes[m.name]]));
check(mounts["/etc/tokend/config"]?.configMap?.name === cm?.metadata.name,
  "the config is the ConfigMap, mounted as a directory");
check(mounts["/etc/tokend/tls"]?.secret?.secretName, "TLS material: a Secret directory");
check(mounts["/etc/tokend/keys"]?.secret?.secretName, "signing keys: a Secret directory");
const ports = Object.fromEntries(c.ports.map((p) => [p.name, p.containerPort]));
for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
  const p = c[probe];
  check(p?.httpGet && (p.httpGet.port === "ops" || p.httpGet.port === ports.ops) &&
    !p.httpGet.scheme, `${probe}: plain HTTP on the ops port`);
}
check(c.readinessProbe?.httpGet?.path === "/readyz", "readiness probe: /readyz");
check(c.livenessProbe?.httpGet?.path === "/healthz", "liveness probe: /healthz");
const config = YAML.parse(cm.data["tokend.yaml"]);
check(config.listen.endsWith(`:${ports.grpc}`) && config.ops_listen.endsWith(`:${ports.ops}`),
  "container ports match the config's listen and ops_listen");
check(config.tls.cert_file.startsWith("/etc/tokend/tls/") &&
  config.signing_keys.every((k) => k.file.startsWith("/etc/tokend/keys/")),
  "the config names files inside the mounted Secret directories");

// Services.
const [svc] = find("Service", (o) => o.spec.clusterIP !== "None");
const grpcPort = svc?.spec.ports.find((p) => p.name === "grpc");
check(grpcPort?.appProtocol === "grpc" && grpcPort.targetPort === "grpc", "Service: grpc port, appProtocol grpc");
check(svc?.spec.ports.some((p) => p.name === "ops" && p.targetPort === "ops"), "Service: ops port");

// Migration hook.
const [job] = find("Job");
check(job && hook(job) === "pre-install,pre-upgrade", "migration Job: pre-install,pre-upgrade hook");
const jc = job?.spec.template.spec.containers[0];
check(jc?.args?.[0] === "migrate", "migration Job runs `tokend migrate`");
for (const o of find("ConfigMap", hook).concat(find("Secret", hook))) {
  check(Number(o.metadata.annotations["helm.sh/hook-weight"]) <
    Number(job.metadata.annotations["helm.sh/hook-weight"]), `${o.kind}/${o.metadata.name}: a hook created before the Job`);
}

// Optional objects: absent by default, present with all-on.
const want = mode === "all-on";
const optional = {
  "cert-manager Certificate": find("Certificate").length > 0,
  HorizontalPodAutoscaler: hpa.length > 0,
  PodDisruptionBudget: find("PodDisruptionBudget").length > 0,
  NetworkPolicy: find("NetworkPolicy").length > 0,
  ServiceMonitor: find("ServiceMonitor").length > 0,
  "headless Service": find("Service", (o) => o.spec.clusterIP === "None").length > 0,
  "helm test Pod": find("Pod", (o) => hook(o) === "test").length > 0,
};
for (const [what, present] of Object.entries(optional)) {
  check(present === want, `${what}: ${want ? "present" : "absent by default"}`);
}
if (want) {
  const [np] = find("NetworkPolicy");
  const rulePorts = np.spec.ingress.map((r) => r.ports.map((p) => p.port).join(","));
  check(np.spec.policyTypes.includes("Ingress") && rulePorts.includes("grpc") &&
    rulePorts.includes("ops") && np.spec.ingress.every((r) => r.from?.length > 0),
    "NetworkPolicy: API and ops ports, each from chosen sources only");
  const [sm] = find("ServiceMonitor");
  check(sm.spec.endpoints[0].port === "ops" && sm.spec.endpoints[0].path === "/metrics",
    "ServiceMonitor scrapes /metrics on the ops port");
  const [test] = find("Pod", (o) => hook(o) === "test");
  const tc = test.spec.containers[0];
  check(tc.command[0] === "/usr/local/bin/tokenctl" && tc.args.some((a) => a.startsWith("--cert=")) &&
    tc.args.some((a) => a.startsWith("--key=")), "helm test runs tokenctl with a client certificate");
  const certs = find("Certificate");
  check(certs.some((x) => x.spec.secretName === mounts["/etc/tokend/tls"].secret.secretName),
    "the Certificate writes the Secret the pods mount");
  check(find("Service", (o) => o.spec.clusterIP === "None")[0].spec.ports
    .every((p) => p.appProtocol === "grpc"), "headless Service: grpc only");
}

console.log(`${failures === 0 ? "all rules hold" : `${failures} rules broken`} (${mode})`);
process.exit(failures === 0 ? 0 : 1);
