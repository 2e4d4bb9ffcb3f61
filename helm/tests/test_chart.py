"""Checks of the Helm chart with the real helm 3 and helm 4 engines.

Run by `make helm-lint` (helm/tests/run.sh installs the tools first):
  * `helm lint --strict` of the default values and values-eks.yaml, with both helms;
  * every rendered document validated against the Kubernetes 1.29 and 1.33 API schemas
    (kubernetes-validate, strict: unknown fields fail; a missing schema fails);
    ServiceMonitor and PrometheusRule have no schema there: they are checked for YAML
    sanity and by the assertions below, nothing more;
  * assertions on the rendered objects (probes, security, backends per component,
    secrets kept out of ConfigMaps, checksums, schema, hooks, RBAC ...), once per helm.

Plain unittest; prints `test result: ok. N passed; M failed;` at the end, the line
.ci/run sums.
"""

import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CHART = os.path.join(os.path.dirname(HERE), "trip-currency-mesh")
EKS_VALUES = os.path.join(CHART, "values-eks.yaml")
TOOLS = os.environ.get(
    "TRAVEL_TOOLS_DIR", os.path.join(os.path.expanduser("~"), ".cache", "trip-currency-mesh", "tools")
)
sys.path.insert(0, os.path.join(TOOLS, "py"))

import kubernetes_validate  # noqa: E402
import yaml  # noqa: E402

HELMS = {
    "helm3": os.environ.get("HELM3", os.path.join(TOOLS, "helm3", "helm")),
    "helm4": os.environ.get("HELM4", os.path.join(TOOLS, "helm4", "helm")),
}
KUBE_VERSIONS = ["1.29.0", "1.33.0"]
# Prometheus Operator kinds: no schema in kubernetes-validate.
NO_SCHEMA_KINDS = {"ServiceMonitor", "PrometheusRule"}

COMPONENTS = ["gateway", "currency", "history", "ranking", "processor", "ingestor"]
DEPLOYED = ["gateway", "currency", "history", "ranking", "processor"]
GRPC_PORTS = {"currency": 50051, "history": 50052, "ranking": 50053, "processor": 50054}

# Backend-URL variables and which component must receive which (and no other).
BACKEND_VARS = {
    "TRAVEL_DATABASE_URL",
    "TRAVEL_CACHE_URL",
    "TRAVEL_BUS_URL",
    "TRAVEL_SELECTIONS_URL",
    "TRAVEL_CURRENCY_URL",
    "TRAVEL_HISTORY_URL",
    "TRAVEL_RANKING_URL",
}
EXPECTED_BACKENDS = {
    "gateway": {"TRAVEL_CACHE_URL", "TRAVEL_CURRENCY_URL", "TRAVEL_HISTORY_URL", "TRAVEL_RANKING_URL"},
    "currency": {"TRAVEL_DATABASE_URL", "TRAVEL_CACHE_URL"},
    "history": {"TRAVEL_DATABASE_URL", "TRAVEL_CACHE_URL"},
    "ranking": {"TRAVEL_CACHE_URL", "TRAVEL_SELECTIONS_URL"},
    "processor": {"TRAVEL_DATABASE_URL", "TRAVEL_CACHE_URL", "TRAVEL_BUS_URL"},
    "ingestor": {"TRAVEL_CACHE_URL", "TRAVEL_BUS_URL"},
    "migrate": {"TRAVEL_DATABASE_URL"},
}
SECRET_VARS = {
    "TRAVEL_OPERATOR_API_KEY",
    "TRAVEL_HASH_SALT",
    "TRAVEL_SOURCE_KOREAEXIM_KEY",
    "TRAVEL_SOURCE_ECOS_KEY",
}
EXPECTED_SECRET_VARS = {
    "ranking": {"TRAVEL_OPERATOR_API_KEY", "TRAVEL_HASH_SALT"},
    "ingestor": {"TRAVEL_SOURCE_KOREAEXIM_KEY", "TRAVEL_SOURCE_ECOS_KEY"},
}

# Distinctive secret values: none may appear anywhere but in a Secret.
SECRETS = {
    "secrets.databaseUrl": "mysql://travel:Pw-db-3f9a1c@aurora.example:3306/travel",
    "secrets.operatorApiKey": "op-key-7d2e8b41",
    "secrets.hashSalt": "salt-5c0f93aa",
    "secrets.koreaeximKey": "exim-key-19be77d0",
    "secrets.ecosKey": "ecos-key-a4c2d6e8",
    "secrets.cacheUrl": "rediss://default:Pw-cache-8e1b@cache.example:6379",
    "secrets.busUrl": "kafka://user:Pw-bus-2a7c@b-1.msk.example:9096?security.protocol=SASL_SSL",
}


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, env=os.environ)


def render(helm, *args, kube_version=None, values_files=(), sets=None, expect_ok=True):
    cmd = [HELMS[helm], "template", "rel", CHART, "--namespace", "rates"]
    if kube_version:
        cmd += ["--kube-version", kube_version]
    for f in values_files:
        cmd += ["-f", f]
    for key, value in (sets or {}).items():
        cmd += ["--set-string" if isinstance(value, str) else "--set", f"{key}={value}"]
    cmd += list(args)
    result = run(cmd)
    if not expect_ok:
        return result
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stderr}")
    return Rendered(result.stdout)


class Rendered:
    def __init__(self, text):
        self.text = text
        self.docs = [d for d in yaml.safe_load_all(text) if d]

    def of_kind(self, kind):
        return [d for d in self.docs if d["kind"] == kind]

    def one(self, kind, component=None):
        found = [d for d in self.of_kind(kind) if component is None or component_of(d) == component]
        if len(found) != 1:
            raise AssertionError(f"expected one {kind} of {component}, found {len(found)}")
        return found[0]

    def maybe(self, kind, component):
        found = [d for d in self.of_kind(kind) if component_of(d) == component]
        return found[0] if found else None

    def by_component(self, component):
        return [d for d in self.docs if component_of(d) == component]


def component_of(doc):
    return doc.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/component")


def pod_spec(doc):
    kind = doc["kind"]
    if kind == "Pod":
        return doc["spec"]
    if kind in ("Deployment", "Job"):
        return doc["spec"]["template"]["spec"]
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    raise ValueError(kind)


def pod_template(doc):
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    return doc["spec"]["template"]


def workload(rendered, component):
    kind = "CronJob" if component == "ingestor" else "Job" if component in ("migrate", "seed") else "Deployment"
    return rendered.one(kind, component)


def environment(rendered, component):
    """name → value (or a description of valueFrom) of the component's container,
    ConfigMap entries included."""
    doc = workload(rendered, component)
    container = pod_spec(doc)["containers"][0]
    env = {}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        cm = [d for d in rendered.of_kind("ConfigMap") if d["metadata"]["name"] == name]
        assert len(cm) == 1, f"ConfigMap {name} of {component} not rendered"
        env.update(cm[0].get("data") or {})
    for var in container.get("env", []):
        env[var["name"]] = var.get("value", var.get("valueFrom"))
    return env


class TestLint(unittest.TestCase):
    """helm lint --strict with both helms, default values and values-eks.yaml."""


def _lint_test(helm, values):
    def test(self):
        cmd = [HELMS[helm], "lint", "--strict", CHART] + (["-f", values] if values else [])
        result = run(cmd)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    return test


class TestKubernetesSchemas(unittest.TestCase):
    """Every rendered document against the Kubernetes API schema (strict)."""


def _schema_test(helm, values, kube_version):
    def test(self):
        rendered = render(helm, kube_version=kube_version, values_files=[values] if values else [])
        checked = 0
        for doc in rendered.docs:
            for key in ("apiVersion", "kind", "metadata"):
                self.assertIn(key, doc)
            self.assertTrue(doc["metadata"].get("name"))
            if doc["kind"] in NO_SCHEMA_KINDS:
                self.assertEqual(doc["apiVersion"], "monitoring.coreos.com/v1")
                self.assertIsInstance(doc.get("spec"), dict)
                continue
            try:
                kubernetes_validate.validate(doc, kube_version, strict=True)
            except Exception as error:  # ValidationError, SchemaNotFoundError, ...
                self.fail(f"{doc['kind']}/{doc['metadata']['name']} for {kube_version}: {error}")
            checked += 1
        self.assertGreater(checked, 20)

    return test


for _helm in HELMS:
    for _label, _values in (("default", None), ("eks", EKS_VALUES)):
        setattr(TestLint, f"test_{_helm}_lint_strict_{_label}_values", _lint_test(_helm, _values))
        for _kv in KUBE_VERSIONS:
            name = f"test_{_helm}_{_label}_values_valid_for_{_kv.replace('.', '_')}"
            setattr(TestKubernetesSchemas, name, _schema_test(_helm, _values, _kv))


class RenderAssertions:
    """Assertions on rendered objects; one concrete class per helm (below)."""

    helm = None

    def render(self, *args, **kwargs):
        return render(self.helm, *args, **kwargs)

    @classmethod
    def setUpClass(cls):
        cls.default = render(cls.helm)
        cls.eks = render(cls.helm, values_files=[EKS_VALUES])

    # --- the ingestor CronJob -------------------------------------------------------
    def test_cronjob_schedule_time_zone_and_concurrency(self):
        cron = self.default.one("CronJob", "ingestor")
        spec = cron["spec"]
        self.assertEqual(spec["schedule"], "*/5 * * * *")
        self.assertEqual(spec["timeZone"], "Asia/Seoul")
        self.assertEqual(spec["concurrencyPolicy"], "Forbid")
        for key in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            self.assertIsInstance(spec[key], int, key)
        job = spec["jobTemplate"]["spec"]
        self.assertIsInstance(job["backoffLimit"], int)
        self.assertLess(job["activeDeadlineSeconds"], 300, "a run must end before the next one")
        container = pod_spec(cron)["containers"][0]
        self.assertEqual(container["command"], ["/usr/local/bin/ingestor", "run-once"])
        self.assertEqual(pod_spec(cron)["restartPolicy"], "Never")

    # --- Deployments ------------------------------------------------------------------
    def test_every_deployment_container_has_probes_resources_and_security(self):
        for rendered in (self.default, self.eks):
            deployments = rendered.of_kind("Deployment")
            self.assertEqual(sorted(component_of(d) for d in deployments), sorted(DEPLOYED))
            for deployment in deployments:
                name = component_of(deployment)
                for container in pod_spec(deployment)["containers"]:
                    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                        self.assertIn(probe, container, f"{name}: {probe}")
                    resources = container.get("resources", {})
                    self.assertTrue(resources.get("requests"), f"{name}: requests")
                    self.assertTrue(resources.get("limits", {}).get("memory"), f"{name}: memory limit")
                    self.assert_container_security(container, name)
                self.assert_pod_security(deployment)

    def test_grpc_services_use_native_grpc_probes(self):
        for name, port in GRPC_PORTS.items():
            container = pod_spec(self.default.one("Deployment", name))["containers"][0]
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                # The overall status (no `service`): it ignores the database and cache.
                self.assertEqual(container[probe].get("grpc"), {"port": port}, f"{name}: {probe}")
            self.assertIn(port, [p["containerPort"] for p in container["ports"]])

    def test_gateway_probes_never_ask_a_shared_backend(self):
        container = pod_spec(self.default.one("Deployment", "gateway"))["containers"][0]
        # Readiness is the replica's own state; /health (which asks the database and
        # the cache) would empty the Service in an Aurora failover.
        self.assertEqual(container["readinessProbe"]["httpGet"], {"path": "/readyz", "port": "http"})
        for probe in ("livenessProbe", "startupProbe"):
            self.assertEqual(container[probe]["httpGet"], {"path": "/livez", "port": "http"}, probe)
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            self.assertNotIn("/health", json.dumps(container[probe]), probe)
        self.assertIn({"name": "http", "containerPort": 8080, "protocol": "TCP"}, container["ports"])

    def test_rollouts_drop_no_request(self):
        for rendered in (self.default, self.eks):
            for deployment in rendered.of_kind("Deployment"):
                name = component_of(deployment)
                strategy = deployment["spec"]["strategy"]
                self.assertEqual(strategy["type"], "RollingUpdate")
                self.assertEqual(strategy["rollingUpdate"], {"maxUnavailable": 0, "maxSurge": 1})
                spec = pod_spec(deployment)
                container = spec["containers"][0]
                pre_stop = container["lifecycle"]["preStop"]
                if "sleep" in pre_stop:
                    pause = pre_stop["sleep"]["seconds"]
                else:
                    command = pre_stop["exec"]["command"]
                    self.assertEqual(command[0], "/bin/sleep")
                    pause = int(command[1])
                self.assertGreater(pause, 0, name)
                drain = environment(rendered, name)["TRAVEL_SHUTDOWN_DRAIN"]
                self.assertRegex(drain, r"^[0-9]+s$")
                self.assertGreater(spec["terminationGracePeriodSeconds"], pause + int(drain[:-1]), name)

    def test_pre_stop_action_follows_the_cluster_version(self):
        old = self.render(kube_version="1.29.0")
        new = self.render(kube_version="1.33.0")
        for name in DEPLOYED:
            old_stop = pod_spec(old.one("Deployment", name))["containers"][0]["lifecycle"]["preStop"]
            new_stop = pod_spec(new.one("Deployment", name))["containers"][0]["lifecycle"]["preStop"]
            self.assertEqual(old_stop, {"exec": {"command": ["/bin/sleep", "5"]}}, name)
            self.assertEqual(new_stop, {"sleep": {"seconds": 5}}, name)

    def test_grace_period_shorter_than_pause_and_drain_is_refused(self):
        result = self.render(
            sets={"gateway.shutdown.terminationGracePeriodSeconds": 8}, expect_ok=False
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("terminationGracePeriodSeconds", result.stderr)

    def test_hpa_takes_over_replicas(self):
        gateway = self.eks.one("Deployment", "gateway")
        self.assertNotIn("replicas", gateway["spec"])
        hpa = self.eks.one("HorizontalPodAutoscaler", "gateway")
        self.assertEqual(hpa["spec"]["scaleTargetRef"]["name"], gateway["metadata"]["name"])
        self.assertEqual(self.eks.one("Deployment", "history")["spec"]["replicas"], 2)
        self.assertEqual(self.default.of_kind("HorizontalPodAutoscaler"), [])

    def test_component_values_override_defaults_even_with_false(self):
        rendered = self.render(sets={"defaults.pdb.enabled": True, "processor.pdb.enabled": False})
        self.assertIsNone(rendered.maybe("PodDisruptionBudget", "processor"))
        self.assertIsNotNone(rendered.maybe("PodDisruptionBudget", "gateway"))

    # --- every pod --------------------------------------------------------------------
    def assert_pod_security(self, doc):
        security = pod_spec(doc)["securityContext"]
        self.assertTrue(security["runAsNonRoot"])
        self.assertIsInstance(security["runAsUser"], int)
        self.assertGreater(security["runAsUser"], 0)
        self.assertEqual(security["seccompProfile"], {"type": "RuntimeDefault"})
        volumes = {v["name"]: v for v in pod_spec(doc).get("volumes", [])}
        self.assertIn("emptyDir", volumes.get("tmp", {}), f"{doc['metadata']['name']}: /tmp emptyDir")

    def assert_container_security(self, container, name):
        security = container["securityContext"]
        self.assertTrue(security["runAsNonRoot"], name)
        self.assertGreater(security["runAsUser"], 0, name)
        self.assertTrue(security["readOnlyRootFilesystem"], name)
        self.assertFalse(security["allowPrivilegeEscalation"], name)
        self.assertEqual(security["capabilities"], {"drop": ["ALL"]}, name)
        self.assertEqual(security["seccompProfile"], {"type": "RuntimeDefault"}, name)
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        self.assertEqual(mounts.get("/tmp"), "tmp", name)

    def test_every_pod_is_hardened(self):
        pods = 0
        for rendered in (self.default, self.eks):
            for doc in rendered.docs:
                if doc["kind"] not in ("Deployment", "CronJob", "Job", "Pod"):
                    continue
                self.assert_pod_security(doc)
                for container in pod_spec(doc)["containers"]:
                    self.assert_container_security(container, doc["metadata"]["name"])
                pods += 1
        self.assertEqual(pods, 2 * (len(DEPLOYED) + 4))  # + CronJob, migrate and seed Jobs, test Pod

    # --- configuration ------------------------------------------------------------------
    def test_each_component_gets_exactly_its_backends(self):
        for label, rendered in (("default", self.default), ("eks", self.eks)):
            for name, expected in EXPECTED_BACKENDS.items():
                env = environment(rendered, name)
                self.assertEqual(BACKEND_VARS & set(env), expected, f"{label}: {name}")
                self.assertEqual(
                    SECRET_VARS & set(env), EXPECTED_SECRET_VARS.get(name, set()), f"{label}: {name}"
                )
        gateway = environment(self.default, "gateway")
        self.assertEqual(gateway["TRAVEL_CURRENCY_URL"], "http://rel-trip-currency-mesh-currency:50051")
        self.assertEqual(gateway["TRAVEL_HISTORY_URL"], "http://rel-trip-currency-mesh-history:50052")
        self.assertEqual(gateway["TRAVEL_RANKING_URL"], "http://rel-trip-currency-mesh-ranking:50053")
        for name in ("currency", "history", "processor"):
            env = environment(self.default, name)
            self.assertEqual(env["TRAVEL_DATABASE_AUTO_MIGRATE"], "false", name)
            self.assertEqual(env["TRAVEL_DATABASE_URL"]["secretKeyRef"]["key"], "TRAVEL_DATABASE_URL")
        for name in DEPLOYED:
            self.assertEqual(environment(self.default, name)["TRAVEL_METRICS_ADDR"], "0.0.0.0:9464")
            self.assertEqual(environment(self.default, name)["TRAVEL_LOG_FORMAT"], "json")
        ranking = environment(self.eks, "ranking")
        self.assertEqual(ranking["TRAVEL_SELECTIONS_URL"], "dynamodb://")
        self.assertEqual(ranking["TRAVEL_SELECTIONS_TABLE"], "travel_destination_selections")
        self.assertEqual(ranking["TRAVEL_RANKING_RESULTS_TABLE"], "RankingResults")
        self.assertEqual(ranking["TRAVEL_DYNAMODB_REGION"], "ap-northeast-2")
        # values-eks: the MSK URL (SCRAM credentials) comes from the existing Secret.
        for name in ("processor", "ingestor"):
            bus = environment(self.eks, name)["TRAVEL_BUS_URL"]
            self.assertEqual(bus["secretKeyRef"]["name"], "trip-currency-mesh-secrets", name)

    def test_no_secret_value_outside_secrets(self):
        sets = dict(SECRETS)
        sets["backends.cache.urlFromSecret"] = True
        sets["backends.bus.urlFromSecret"] = True
        rendered = self.render(sets=sets)
        configmaps = rendered.of_kind("ConfigMap")
        self.assertEqual(len(configmaps), len(COMPONENTS))
        for doc in rendered.docs:
            if doc["kind"] == "Secret":
                continue
            text = yaml.safe_dump(doc)
            for key, value in SECRETS.items():
                self.assertNotIn(value, text, f"{key} leaks into {doc['kind']}/{doc['metadata']['name']}")
        secret = [s for s in rendered.of_kind("Secret") if "helm.sh/hook" not in s["metadata"].get("annotations", {})]
        self.assertEqual(len(secret), 1)
        self.assertEqual(
            set(secret[0]["stringData"].values()), set(SECRETS.values()), "every secret lands in the Secret"
        )
        # The cache and bus URLs now come from the Secret for everyone using them.
        for name in COMPONENTS:
            env = environment(rendered, name)
            for var in ("TRAVEL_CACHE_URL", "TRAVEL_BUS_URL"):
                if var in env:
                    self.assertIn("secretKeyRef", env[var], f"{name}: {var}")

    def test_env_refuses_secret_variables(self):
        for key in ("defaults.env.TRAVEL_DATABASE_URL", "ranking.env.TRAVEL_HASH_SALT"):
            result = self.render(sets={key: "x"}, expect_ok=False)
            self.assertNotEqual(result.returncode, 0, key)

    def test_config_change_rolls_the_pods(self):
        def checksums(rendered):
            found = {}
            for doc in rendered.docs:
                if doc["kind"] in ("Deployment", "CronJob"):
                    found[component_of(doc)] = pod_template(doc)["metadata"]["annotations"]["checksum/config"]
            return found

        base = checksums(self.default)
        self.assertEqual(set(base), set(COMPONENTS))
        self.assertEqual(base, checksums(self.render()), "rendering is deterministic")
        louder = checksums(self.render(sets={"defaults.env.TRAVEL_LOG": "debug"}))
        for name in COMPONENTS:
            self.assertNotEqual(base[name], louder[name], name)
        topic = checksums(self.render(sets={"backends.bus.ratesTopic": "rates-v2"}))
        for name in COMPONENTS:
            if name in ("processor", "ingestor"):
                self.assertNotEqual(base[name], topic[name], name)
            else:
                self.assertEqual(base[name], topic[name], name)

    # --- values.schema.json -------------------------------------------------------------
    def test_schema_rejects_wrong_type_and_unknown_key(self):
        cases = {
            "wrong type": {"gateway.replicas": "two"},
            "wrong type (bool)": {"ingestor.suspend": "maybe"},
            "bad enum": {"ingestor.concurrencyPolicy": "Sometimes"},
            "unknown key": {"gateway.replica": 2},
            "unknown nested key": {"defaults.hpa.enable": True},
            "unknown top-level key": {"gatway.enabled": True},
        }
        for label, sets in cases.items():
            result = self.render(sets=sets, expect_ok=False)
            self.assertNotEqual(result.returncode, 0, label)
            self.assertIn("schema", result.stderr, label)
            args = [HELMS[self.helm], "lint", "--strict", CHART]
            for key, value in sets.items():
                args += ["--set-string" if isinstance(value, str) else "--set", f"{key}={value}"]
            self.assertNotEqual(run(args).returncode, 0, f"lint: {label}")

    # --- enabling and disabling ---------------------------------------------------------
    def test_disabling_a_component_removes_its_objects(self):
        for name in COMPONENTS:
            rendered = self.render(sets={f"{name}.enabled": False})
            self.assertEqual(rendered.by_component(name), [], name)
            self.assertTrue(self.default.by_component(name), name)
        gateway = environment(self.render(sets={"history.enabled": False}), "gateway")
        self.assertNotIn("TRAVEL_HISTORY_URL", gateway)
        self.assertIn("TRAVEL_CURRENCY_URL", gateway)
        without_ranking = self.render(sets={"ranking.enabled": False})
        self.assertEqual(without_ranking.of_kind("Role"), [])
        without_gateway = self.render(sets={"gateway.enabled": False})
        self.assertEqual(without_gateway.of_kind("Pod"), [])
        no_database_users = self.render(
            sets={"currency.enabled": False, "history.enabled": False, "processor.enabled": False}
        )
        self.assertEqual(no_database_users.of_kind("Job"), [])

    # --- migrations -----------------------------------------------------------------------
    def test_migration_hook_job(self):
        job = self.default.one("Job", "migrate")
        annotations = job["metadata"]["annotations"]
        self.assertEqual(annotations["helm.sh/hook"], "pre-install,pre-upgrade")
        self.assertEqual(
            set(annotations["helm.sh/hook-delete-policy"].split(",")), {"before-hook-creation", "hook-succeeded"}
        )
        container = pod_spec(job)["containers"][0]
        self.assertEqual(container["command"], ["/usr/local/bin/migrate"])
        ref = environment(self.default, "migrate")["TRAVEL_DATABASE_URL"]["secretKeyRef"]
        # Pre-install: the release's Secret does not exist yet; a hook copy, created first.
        hook_secret = [s for s in self.default.of_kind("Secret") if s["metadata"]["name"] == ref["name"]]
        self.assertEqual(len(hook_secret), 1)
        secret_annotations = hook_secret[0]["metadata"]["annotations"]
        self.assertEqual(secret_annotations["helm.sh/hook"], "pre-install,pre-upgrade")
        self.assertLess(int(secret_annotations["helm.sh/hook-weight"]), int(annotations["helm.sh/hook-weight"]))
        self.assertIn("before-hook-creation", secret_annotations["helm.sh/hook-delete-policy"])
        # With existingSecret: no copy, the job reads the existing Secret.
        eks_job = self.eks.one("Job", "migrate")
        eks_ref = environment(self.eks, "migrate")["TRAVEL_DATABASE_URL"]["secretKeyRef"]
        self.assertEqual(eks_ref["name"], "trip-currency-mesh-secrets")
        self.assertEqual(self.eks.of_kind("Secret"), [])
        self.assertEqual(eks_job["metadata"]["annotations"]["helm.sh/hook"], "pre-install,pre-upgrade")

    def test_seed_hook_job_loads_the_shipped_history_after_install(self):
        job = self.default.one("Job", "seed")
        annotations = job["metadata"]["annotations"]
        self.assertEqual(annotations["helm.sh/hook"], "post-install,post-upgrade")
        self.assertEqual(
            set(annotations["helm.sh/hook-delete-policy"].split(",")), {"before-hook-creation", "hook-succeeded"}
        )
        container = pod_spec(job)["containers"][0]
        self.assertEqual(container["command"], ["/usr/local/bin/migrate"])
        self.assertEqual(container["args"], ["--seed"])
        self.assertGreaterEqual(job["spec"]["activeDeadlineSeconds"], 600)
        # Post-install: the release's own Secret exists; no hook copy is needed.
        ref = environment(self.default, "seed")["TRAVEL_DATABASE_URL"]["secretKeyRef"]
        self.assertEqual(ref["name"], "rel-trip-currency-mesh")
        release_secrets = [s for s in self.default.of_kind("Secret") if s["metadata"]["name"] == ref["name"]]
        self.assertEqual(len(release_secrets), 1)
        self.assertNotIn("helm.sh/hook", release_secrets[0]["metadata"].get("annotations", {}))
        eks_ref = environment(self.eks, "seed")["TRAVEL_DATABASE_URL"]["secretKeyRef"]
        self.assertEqual(eks_ref["name"], "trip-currency-mesh-secrets")
        # The migration Job takes no arguments; turning seeding off removes only its Job.
        self.assertNotIn("args", pod_spec(self.default.one("Job", "migrate"))["containers"][0])
        off = self.render(sets={"migrate.seed.enabled": False})
        self.assertEqual([component_of(j) for j in off.of_kind("Job")], ["migrate"])

    def test_existing_secret_is_referenced_everywhere(self):
        names = set()
        for doc in self.eks.docs:
            if doc["kind"] in ("Deployment", "CronJob", "Job"):
                for var in pod_spec(doc)["containers"][0].get("env", []):
                    ref = (var.get("valueFrom") or {}).get("secretKeyRef")
                    if ref:
                        names.add(ref["name"])
        self.assertEqual(names, {"trip-currency-mesh-secrets"})

    # --- ranking leadership ---------------------------------------------------------------
    def test_ranking_lease_rbac_and_env(self):
        role = self.default.one("Role", "ranking")
        rules = role["rules"]
        verbs = set()
        for rule in rules:
            self.assertEqual(rule["apiGroups"], ["coordination.k8s.io"])
            self.assertEqual(rule["resources"], ["leases"])
            if "resourceNames" in rule:
                self.assertEqual(rule["resourceNames"], ["ranking-calculator"])
            else:
                self.assertEqual(rule["verbs"], ["create"])
            verbs |= set(rule["verbs"])
        self.assertEqual(verbs, {"get", "create", "update", "patch"})
        binding = self.default.one("RoleBinding", "ranking")
        self.assertEqual(binding["roleRef"]["name"], role["metadata"]["name"])
        account = self.default.one("ServiceAccount", "ranking")
        self.assertEqual(
            binding["subjects"],
            [{"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": "rates"}],
        )
        deployment = self.default.one("Deployment", "ranking")
        self.assertEqual(pod_spec(deployment)["serviceAccountName"], account["metadata"]["name"])
        self.assertTrue(pod_spec(deployment)["automountServiceAccountToken"])
        env = environment(self.default, "ranking")
        self.assertEqual(env["TRAVEL_LEADER_ELECTION"], "lease")
        self.assertEqual(env["TRAVEL_LEASE_NAME"], "ranking-calculator")
        self.assertEqual(env["TRAVEL_LEASE_NAMESPACE"], {"fieldRef": {"fieldPath": "metadata.namespace"}})
        self.assertEqual(env["TRAVEL_POD_NAME"], {"fieldRef": {"fieldPath": "metadata.name"}})
        # Nobody else may talk to the Kubernetes API.
        for name in ("gateway", "currency", "history", "processor"):
            self.assertFalse(pod_spec(self.default.one("Deployment", name))["automountServiceAccountToken"], name)

    def test_irsa_annotation_and_no_aws_keys(self):
        account = self.eks.one("ServiceAccount", "ranking")
        self.assertRegex(
            account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"], r"^arn:aws:iam::[0-9]{12}:role/"
        )
        for text in (self.eks.text, open(EKS_VALUES).read(), open(os.path.join(CHART, "values.yaml")).read()):
            for word in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"):
                self.assertNotIn(word, text)

    # --- services, ingress, monitoring, helm test --------------------------------------------
    def test_services_expose_metrics(self):
        services = self.default.of_kind("Service")
        self.assertEqual(sorted(component_of(s) for s in services), sorted(DEPLOYED))
        for service in services:
            ports = {p["name"]: p for p in service["spec"]["ports"]}
            self.assertEqual(ports["metrics"]["port"], 9464, component_of(service))
        gateway = self.default.one("Service", "gateway")
        self.assertEqual({p["name"]: p["port"] for p in gateway["spec"]["ports"]}, {"http": 80, "metrics": 9464})

    def test_eks_ingress_is_an_alb(self):
        self.assertEqual(self.default.of_kind("Ingress"), [])
        ingress = self.eks.one("Ingress", "gateway")
        self.assertEqual(ingress["spec"]["ingressClassName"], "alb")
        self.assertIn("alb.ingress.kubernetes.io/scheme", ingress["metadata"]["annotations"])
        backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        self.assertEqual(backend["name"], self.eks.one("Service", "gateway")["metadata"]["name"])

    def test_monitoring_objects_are_optional(self):
        for kind in NO_SCHEMA_KINDS:
            self.assertEqual(self.default.of_kind(kind), [], kind)
        monitor = self.eks.of_kind("ServiceMonitor")[0]
        self.assertEqual(monitor["spec"]["endpoints"][0]["port"], "metrics")
        self.assertEqual(monitor["spec"]["endpoints"][0]["path"], "/metrics")
        rule = self.eks.of_kind("PrometheusRule")[0]
        alerts = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
        ingestion = alerts["TravelIngestionStalled"]
        self.assertIn("time() - max(travel_processor_last_stored_timestamp_seconds", ingestion["expr"])
        self.assertTrue(ingestion["expr"].endswith("> 900"))
        self.assertEqual(ingestion["for"], "15m")
        self.assertIn('outcome="dead_letter"}[15m]) > 0', alerts["TravelDeadLettersGrowing"]["expr"])
        errors = alerts["TravelGatewayErrorRate"]["expr"]
        self.assertIn('status=~"5.."', errors)
        self.assertTrue(errors.endswith("> 0.05"))
        latency = alerts["TravelGatewayLatencyP99"]["expr"]
        self.assertIn("histogram_quantile(0.99, sum by (le) (rate(travel_http_request_duration_seconds_bucket", latency)
        self.assertTrue(latency.endswith("> 0.5"))
        webhooks = alerts["TravelAlertWebhooksFailing"]["expr"]
        self.assertIn('travel_alert_webhooks_total{namespace="', webhooks)
        self.assertTrue(webhooks.endswith('outcome="failed"}[1h]) > 0'))

    def test_helm_test_pod_asks_gateway_health(self):
        pods = self.default.of_kind("Pod")
        self.assertEqual(len(pods), 1)
        pod = pods[0]
        self.assertEqual(pod["metadata"]["annotations"]["helm.sh/hook"], "test")
        command = " ".join(pod["spec"]["containers"][0]["command"])
        self.assertIn("http://rel-trip-currency-mesh-gateway:80/health", command)

    def test_image_tag_defaults_to_app_version(self):
        chart = yaml.safe_load(open(os.path.join(CHART, "Chart.yaml")))
        image = pod_spec(self.default.one("Deployment", "currency"))["containers"][0]["image"]
        self.assertEqual(image, f"trip-currency-mesh:{chart['appVersion']}")
        pinned = self.render(sets={"currency.image.tag": "abc123"})
        self.assertEqual(
            pod_spec(pinned.one("Deployment", "currency"))["containers"][0]["image"], "trip-currency-mesh:abc123"
        )


class TestRenderHelm3(RenderAssertions, unittest.TestCase):
    helm = "helm3"


class TestRenderHelm4(RenderAssertions, unittest.TestCase):
    helm = "helm4"


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    status = "ok" if result.wasSuccessful() else "FAILED"
    print(f"test result: {status}. {passed} passed; {failed} failed; helm chart checks")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
