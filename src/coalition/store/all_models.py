"""Import every domain's models so ``Base.metadata`` knows the whole schema."""

from coalition.accounts import models as accounts_models
from coalition.agreements import models as agreements_models
from coalition.audit import models as audit_models
from coalition.content import models as content_models
from coalition.discussions import models as discussions_models
from coalition.disputes import models as disputes_models
from coalition.exchange import models as exchange_models
from coalition.expertise import models as expertise_models
from coalition.exportcontrol import models as exportcontrol_models
from coalition.facilities import models as facilities_models
from coalition.federation import models as federation_models
from coalition.funding import models as funding_models
from coalition.governance import models as governance_models
from coalition.identity import models as identity_models
from coalition.ip import models as ip_models
from coalition.ledger import models as ledger_models
from coalition.notifications import models as notifications_models
from coalition.policy import models as policy_models
from coalition.projects import models as projects_models
from coalition.registry import models as registry_models
from coalition.releases import models as releases_models
from coalition.reports import models as reports_models
from coalition.risks import models as risks_models
from coalition.store.base import Base
from coalition.techdata import models as techdata_models
from coalition.visits import models as visits_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "agreements_models",
    "audit_models",
    "content_models",
    "discussions_models",
    "disputes_models",
    "exchange_models",
    "expertise_models",
    "exportcontrol_models",
    "facilities_models",
    "federation_models",
    "funding_models",
    "governance_models",
    "identity_models",
    "ip_models",
    "ledger_models",
    "metadata",
    "notifications_models",
    "policy_models",
    "projects_models",
    "registry_models",
    "releases_models",
    "reports_models",
    "risks_models",
    "techdata_models",
    "visits_models",
]
