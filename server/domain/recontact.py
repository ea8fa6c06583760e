"""The recontact template (SPEC T2): what an agent sends on an open conversation whose window closed."""
from __future__ import annotations

from server.domain.templates import variable_count
from server.errors import Invalid

SYSTEM_SENDER = "System"  # who a recontact template is from (SPEC T2)


def recontact_variables(body: str, customer_first_name: str, agent_name: str) -> list[str]:
    """A recontact template's values, in order: the customer's first name, then the agent's name. A template
    wanting more than these two cannot be sent as a recontact template."""
    wanted = variable_count(body)
    if wanted > 2:
        raise Invalid(f"The recontact template takes {wanted} variables; it may use at most two: the customer's "
                      "first name ({{1}}) and the agent's name ({{2}}).")
    return [customer_first_name, agent_name][:wanted]
