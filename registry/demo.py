"""The demo portfolio: teams, users per role, and models across every risk tier
with versions, metrics, model cards and lineage. Deterministic, idempotent,
and built with bulk inserts so that 10,000 models take seconds."""

import random
import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction

from mlgov.audit import audit_entries_dated, record_creations
from mlgov.demo import DemoRun, demo_objects, mark_as_demo
from mlgov.roles import Role
from registry.demo_intakes import FIRST_OF_EACH_PURPOSE, seed_intakes
from registry.models import MODEL_CARD_FIELDS, MLModel, ModelVersion, Tag, Team

TEAMS = {
    "credit-risk": (
        "Credit Risk Analytics",
        ["pd", "lgd", "ead", "affordability", "limit"],
    ),
    "fraud": (
        "Fraud & Financial Crime",
        ["card-fraud", "aml", "mule", "account-takeover"],
    ),
    "marketing": ("Marketing Science", ["churn", "next-best-offer", "uplift", "ltv"]),
    "pricing": ("Pricing", ["motor-pricing", "home-pricing", "elasticity", "renewal"]),
    "operations": (
        "Operations Intelligence",
        ["forecast", "routing", "staffing", "eta"],
    ),
    "customer-care": ("Customer Care", ["intent", "sentiment", "complaint-triage"]),
}
TAGS = [
    "pii",
    "customer-facing",
    "regulated",
    "realtime",
    "batch",
    "gdpr",
    "explainable",
]
FRAMEWORKS = ["sklearn", "xgboost", "lightgbm", "pytorch", "tensorflow", "catboost"]
# 2 critical, 5 high, 8 medium and 5 low in every 20 models, interleaved.
RISK_TIER_CYCLE = [
    tier
    for tier, share in (("critical", 2), ("high", 5), ("medium", 8), ("low", 5))
    for _ in range(share)
]
STAFF = [
    ("vera", Role.VIEWER),
    ("rita", Role.REVIEWER),
    ("ravi", Role.REVIEWER),
    ("gina", Role.GOVERNANCE_ADMIN),
    ("eve", Role.EXECUTIVE),
    ("arthur", Role.AUDITOR),
]
CARD_TEXT = {
    "intended_use": "Scores {name} cases for the {team} team's decisions.",
    "limitations": "Not validated outside the markets in its training data.",
    "training_data": "Internal records, 24 months, de-identified.",
    "evaluation_data": "Out-of-time holdout of the most recent quarter.",
    "ethical_considerations": "Protected attributes excluded; disparity monitored.",
    "caveats": "Recalibrate after material product changes.",
}
# A model was registered this many days ago, at most and at least.
MODEL_AGE_DAYS = (30, 900)
BATCH = 2000


@dataclass(frozen=True)
class DemoResult:
    """What a seeding run created."""

    models_created: int
    versions_created: int
    skipped_users: list[str]


def teams_formed_at(now: datetime) -> datetime:
    """The start of the demo's timeline: the teams exist before any model."""
    return now - timedelta(days=MODEL_AGE_DAYS[1] + 1)


def _ensure_users(
    run: DemoRun,
) -> tuple[dict[str, User], list[str]]:
    """The demo's users, created on first use. A user of the same name that the
    demo did not create is left alone, and the demo does without it."""
    user_model = get_user_model()
    groups = {group.name: group for group in Group.objects.all()}
    wanted = [("admin", None), *STAFF] + [
        (f"ds-{team}", Role.DATA_SCIENTIST) for team in TEAMS
    ]
    existing = {
        user.username: user
        for user in user_model.objects.filter(username__in=[name for name, _ in wanted])
    }
    ours = set(
        demo_objects(user_model)
        .filter(username__in=existing)
        .values_list("username", flat=True)
    )
    password_hash = make_password(run.password)
    users: dict[str, User] = {}
    created = []
    for username, role in wanted:
        user = existing.get(username)
        if user is not None and username not in ours:
            continue
        if user is None:
            user = user_model.objects.create(
                username=username,
                email=f"{username}@example.com",
                password=password_hash,
                is_staff=role
                in (None, Role.REVIEWER, Role.GOVERNANCE_ADMIN, Role.AUDITOR),
                is_superuser=role is None,
            )
            created.append(user.pk)
        if role is not None:
            user.groups.set([groups[role]])
        users[username] = user
    mark_as_demo(user_model, created)
    if run.password_is_new:
        user_model.objects.filter(pk__in=[user.pk for user in users.values()]).update(
            password=password_hash
        )
    skipped = [name for name, _ in wanted if name not in users]
    return users, skipped


def _ensure_teams(users: dict[str, User]) -> dict[str, Team]:
    """The demo's teams, each with its demo data scientist; a team of the same
    name that the demo did not create gets no demo models."""
    existing = {team.name: team for team in Team.objects.filter(name__in=TEAMS)}
    ours = set(
        demo_objects(Team).filter(name__in=existing).values_list("name", flat=True)
    )
    teams = {}
    for name, (display_name, _) in TEAMS.items():
        author = users.get(f"ds-{name}")
        team = existing.get(name)
        if author is None or (team is not None and name not in ours):
            continue
        if team is None:
            team = Team.objects.create(name=name, display_name=display_name)
            mark_as_demo(Team, [team.pk])
        team.members.add(author)
        teams[name] = team
    Tag.objects.bulk_create([Tag(name=tag) for tag in TAGS], ignore_conflicts=True)
    return teams


def _model_name(index: int) -> tuple[str, str]:
    team = list(TEAMS)[index % len(TEAMS)]
    purposes = TEAMS[team][1]
    purpose = purposes[(index // len(TEAMS)) % len(purposes)]
    return team, f"{purpose}-{index + 1:05d}"


def _metrics(rng: random.Random, quality: float) -> dict[str, float]:
    auc = min(0.99, max(0.55, rng.gauss(0.82, 0.05) + quality))
    return {
        "auc": round(auc, 4),
        "accuracy": round(min(0.99, auc - rng.uniform(0.02, 0.08)), 4),
        "f1": round(min(0.99, auc - rng.uniform(0.05, 0.15)), 4),
        "latency_ms": round(rng.uniform(5, 250), 1),
    }


def _model_card(rng: random.Random, name: str, team: str) -> dict[str, str]:
    filled = rng.choices([6, 5, 4, 2], weights=[55, 20, 15, 10])[0]
    return {
        field: CARD_TEXT[field].format(name=name, team=team)
        for field in MODEL_CARD_FIELDS[:filled]
    }


def _final_status(rng: random.Random) -> str:
    return rng.choices(
        ["approved", "in_review", "draft", "rejected"], weights=[60, 20, 15, 5]
    )[0]


Row = TypeVar("Row", MLModel, ModelVersion)


def _record_creations_by(
    rows: Sequence[Row], author: Callable[[Row], User | None]
) -> None:
    """The audit entries of rows bulk-inserted (bulk inserts send no signal,
    so the model page's history would miss them), each attributed to the
    user who made it and dated when the row says it was made."""
    by_author: dict[User | None, list[Row]] = defaultdict(list)
    for row in rows:
        by_author[author(row)].append(row)
    for user, made in by_author.items():
        with set_actor(user):
            record_creations(made, happened_at=lambda row: row.created_at)


def _insert_models(
    indexes: range, teams: dict[str, Team], users: dict[str, User], now
) -> list[MLModel]:
    rows = []
    candidates = {_model_name(index)[1] for index in indexes}
    taken = set(
        MLModel.objects.filter(name__in=candidates).values_list("name", flat=True)
    )
    for index in indexes:
        rng = random.Random(index)
        team, name = _model_name(index)
        if team not in teams or name in taken:
            continue
        tier = RISK_TIER_CYCLE[(index * 7) % len(RISK_TIER_CYCLE)]
        rows.append(
            MLModel(
                name=name,
                display_name=name.replace("-", " ").title(),
                description=f"{TEAMS[team][0]} model for {name.rsplit('-', 1)[0]}.",
                team=teams[team],
                owner=users[f"ds-{team}"],
                risk_tier=tier,
                business_use=f"Supports {team.replace('-', ' ')} decisions.",
                created_at=now - timedelta(days=rng.randint(*MODEL_AGE_DAYS)),
            )
        )
    MLModel.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return rows


def _insert_tags(models: list[MLModel]) -> None:
    tags = {tag.name: tag.pk for tag in Tag.objects.filter(name__in=TAGS)}
    through = MLModel.tags.through
    links = []
    for model in models:
        rng = random.Random(f"tags-{model.name}")
        for tag in rng.sample(TAGS, rng.randint(0, 3)):
            links.append(through(mlmodel_id=model.pk, tag_id=tags[tag]))
    through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)


def _version_created_at(
    model: MLModel, number: int, total: int, rng: random.Random, now
) -> datetime:
    """Versions spaced evenly (with jitter) between the model's creation and
    two days ago: each after its parent, all before their review."""
    span = now - timedelta(days=2) - model.created_at
    gap = span / (total + 1)
    return model.created_at + gap * number + gap * rng.uniform(-0.25, 0.25)


def _insert_versions(
    models: list[MLModel], users, now, versions_per_model: int | None
) -> int:
    """Versions level by level, so each can point at its parent's id."""
    plans = {}
    for model in models:
        rng = random.Random(f"versions-{model.name}")
        count = versions_per_model or rng.choices([1, 2, 3, 4], [25, 35, 25, 15])[0]
        plans[model.pk] = (rng, count)
    parents: dict[int, ModelVersion] = {}
    created = 0
    for number in range(1, max((count for _, count in plans.values()), default=0) + 1):
        rows = []
        for model in models:
            rng, total = plans[model.pk]
            if number > total:
                continue
            author = users[f"ds-{model.team.name}"]
            status = (
                _final_status(rng)
                if number == total
                else rng.choice(["approved", "retired"])
            )
            created_at = _version_created_at(model, number, total, rng, now)
            submitted = status != "draft"
            rows.append(
                ModelVersion(
                    model=model,
                    version=number,
                    status=status,
                    artifact_uri=f"s3://models/{model.name}/{number}/model.bin",
                    artifact_sha256=secrets.token_hex(32),
                    framework=rng.choice(FRAMEWORKS),
                    training_data_ref=f"s3://datasets/{model.team.name}/{model.name}/v{number}",
                    metrics=_metrics(rng, quality=0.01 * number),
                    params={"max_depth": rng.randint(3, 12), "learning_rate": 0.05},
                    model_card=_model_card(rng, model.name, model.team.name),
                    parent=parents.get(model.pk),
                    created_by=author,
                    submitted_by=author if submitted else None,
                    submitted_at=created_at + timedelta(hours=6) if submitted else None,
                    created_at=created_at,
                )
            )
        ModelVersion.objects.bulk_create(rows, batch_size=BATCH)
        mark_as_demo(ModelVersion, [row.pk for row in rows])
        _record_creations_by(rows, lambda version: version.created_by)
        parents = {row.model_id: row for row in rows}
        created += len(rows)
    return created


def seed_portfolio(run: DemoRun) -> DemoResult:
    """Create (or grow) the demo portfolio to `run.models` models, each new one
    with `run.versions_per_model` versions (default: one to four)."""
    now = run.now
    with transaction.atomic(), audit_entries_dated(teams_formed_at(now)):
        users, skipped = _ensure_users(run)
        teams = _ensure_teams(users)
    models_created = versions_created = 0
    for start in range(0, run.models, BATCH):
        stop = min(run.models, start + BATCH)
        with transaction.atomic():
            rows = _insert_models(range(start, stop), teams, users, now)
            inserted = list(
                MLModel.objects.filter(name__in=[row.name for row in rows])
                .select_related("team")
                .order_by("pk")
            )
            mark_as_demo(MLModel, [model.pk for model in inserted])
            _record_creations_by(inserted, lambda model: users[f"ds-{model.team.name}"])
            _insert_tags(inserted)
            versions_created += _insert_versions(
                inserted, users, now, run.versions_per_model
            )
            models_created += len(inserted)
        run.progress(
            f"models {stop}/{run.models}, versions created so far {versions_created}"
        )
    return DemoResult(
        models_created=models_created,
        versions_created=versions_created,
        skipped_users=skipped,
    )


LLM_DEMO_MODEL = "support-assistant"
LLM_DEMO_TEAM = "customer-care"
LLM_DEMO_TEMPLATES = (
    "You are Acme Bank's customer support assistant.\n"
    "Answer the customer's question using only the policy excerpts below.\n"
    "Be brief and friendly.\n"
    "\n"
    "Policy excerpts:\n"
    "{context}\n"
    "\n"
    "Customer: {question}\n",
    "You are Acme Bank's customer support assistant.\n"
    "Answer the customer's question using only the policy excerpts below.\n"
    "If the excerpts do not answer it, say so and offer a human agent.\n"
    "Never ask for or repeat card numbers, passwords or one-time codes.\n"
    "Be brief and friendly.\n"
    "\n"
    "Policy excerpts:\n"
    "{context}\n"
    "\n"
    "Customer: {question}\n",
)


def _llm_evaluation_results(
    *, groundedness: float, toxicity: float, relevance: float
) -> list[dict[str, object]]:
    golden = "s3://evals/support-assistant/golden-2026-11.jsonl"
    return [
        {
            "metric": "groundedness",
            "value": groundedness,
            "suite": "support-rag-evals",
            "judge": "gpt-4o-judge",
            "sample_size": 400,
            "dataset_ref": golden,
        },
        {
            "metric": "answer_relevance",
            "value": relevance,
            "suite": "support-rag-evals",
            "judge": "gpt-4o-judge",
            "sample_size": 400,
            "dataset_ref": golden,
        },
        {
            "metric": "toxicity",
            "value": toxicity,
            "suite": "safety",
            "judge": "detoxify",
            "sample_size": 2000,
            "dataset_ref": "s3://evals/safety/red-team-2026-10.jsonl",
        },
        {
            "metric": "jailbreak_resistance",
            "value": 0.97,
            "suite": "safety",
            "judge": "garak",
            "sample_size": 600,
            "dataset_ref": "",
        },
        {
            "metric": "pii_leakage",
            "value": 0.0,
            "suite": "safety",
            "judge": "regex",
            "sample_size": 2000,
            "dataset_ref": "",
        },
    ]


def seed_llm_application(*, now: datetime) -> int:
    """An LLM application on a vendor model: a customer-support assistant
    with two versions whose prompt templates and evaluation results differ
    (v2's toxicity is above the demo's LLM policy). Returns versions added."""
    if MLModel.objects.filter(name=LLM_DEMO_MODEL).exists():
        return 0
    author = demo_objects(get_user_model()).filter(username="ds-customer-care").first()
    team = Team.objects.filter(name=LLM_DEMO_TEAM).first()
    if author is None or team is None:
        return 0
    registered = now - timedelta(days=60)
    card = {
        "intended_use": "Answers retail customers' questions about Acme Bank's "
        "products from the published policy documents.",
        "limitations": "English only; no advice on investments or credit decisions.",
        "training_data": "None trained: a vendor LLM with retrieval over policy "
        "documents.",
        "evaluation_data": "400 golden questions with reference answers; a red-team "
        "set of 2,000 prompts.",
        "ethical_considerations": "Discloses that it is an AI system; hands over to "
        "a person on request.",
        "caveats": "The vendor may update the model behind an alias: versions pin "
        "a dated model identifier.",
    }
    with transaction.atomic(), set_actor(author), audit_entries_dated(registered):
        model = MLModel.objects.create(
            name=LLM_DEMO_MODEL,
            display_name="Customer support assistant",
            description="A retrieval-augmented assistant on a vendor LLM.",
            team=team,
            owner=author,
            risk_tier=MLModel.RiskTier.MEDIUM,
            kind=MLModel.Kind.LLM_APPLICATION,
            business_use="Answers customer questions in the app and on the website.",
            created_at=registered,
        )
        model.tags.set(
            [
                Tag.objects.get_or_create(name=name)[0]
                for name in ("llm", "customer-facing")
            ]
        )
        mark_as_demo(MLModel, [model.pk])
        versions: list[ModelVersion] = []
        for number, (status, days_ago, results) in enumerate(
            (
                (
                    ModelVersion.Status.APPROVED,
                    50,
                    _llm_evaluation_results(
                        groundedness=0.86, toxicity=0.004, relevance=0.9
                    ),
                ),
                (
                    ModelVersion.Status.IN_REVIEW,
                    5,
                    _llm_evaluation_results(
                        groundedness=0.92, toxicity=0.018, relevance=0.93
                    ),
                ),
            ),
            start=1,
        ):
            created_at = now - timedelta(days=days_ago)
            with audit_entries_dated(created_at):
                versions.append(
                    ModelVersion.objects.create(
                        model=model,
                        version=number,
                        status=status,
                        artifact_uri=f"models:/{LLM_DEMO_MODEL}/{number}",
                        framework="langchain",
                        training_data_ref="s3://kb/support-policies/2026-11/",
                        model_card=card,
                        prompt_template=LLM_DEMO_TEMPLATES[number - 1],
                        provider="azure_openai",
                        provider_model=(
                            "gpt-4o-2024-08-06" if number == 1 else "gpt-4.1-2025-04-14"
                        ),
                        evaluation_results=results,
                        parent=versions[-1] if versions else None,
                        created_by=author,
                        submitted_by=author,
                        submitted_at=created_at + timedelta(hours=6),
                        created_at=created_at,
                    )
                )
        mark_as_demo(ModelVersion, [version.pk for version in versions])
    return len(versions)


def seed_registry_demo(run: DemoRun) -> str:
    """The registry's demo step."""
    result = seed_portfolio(run)
    llm_versions = seed_llm_application(now=run.now)
    intakes = seed_intakes(
        names=[_model_name(index)[1] for index in range(FIRST_OF_EACH_PURPOSE)],
        now=run.now,
    )
    line = (
        f"{result.models_created} models and {result.versions_created} versions "
        f"added, {intakes} use-case intakes answered; demo users admin, gina, "
        "rita, ravi, vera, eve, arthur, ds-<team>"
    )
    if llm_versions:
        line += f"; the LLM application {LLM_DEMO_MODEL} with {llm_versions} versions"
    if result.skipped_users:
        line += f" (left alone, not the demo's: {', '.join(result.skipped_users)})"
    return line
