"""The shortcut audit as a component: on by default, after curation, before export."""

from __future__ import annotations

from typing import Any

from synthcompile.audit.config import AuditSection
from synthcompile.components import Component


def _stages(section: AuditSection, recipe: Any) -> list:
    from synthcompile.audit.stages import AuditMap, AuditReduce

    return [AuditMap(section), AuditReduce(section)]


def _gate(run: Any, section: AuditSection) -> None:
    """With ``fail: true``, a flagged group fails the build (after it is written, so it can be read)."""
    from synthcompile.audit import results
    from synthcompile.errors import UserError

    flagged = [r for r in results(run) or [] if r["flagged"]]
    if section.fail and flagged:
        listed = "; ".join(f"{r['family']} d{r['difficulty']}{' ' + r['kind'] if r['kind'] else ''}: {r['reason']}"
                           for r in flagged[:5])
        raise UserError(f"the shortcut audit flagged {len(flagged)} group(s) (audit.fail is on): {listed}"
                        f"{' ...' if len(flagged) > 5 else ''}")


COMPONENT = Component(name="audit", kind="audit", config=AuditSection, stages=_stages, gate=_gate,
                      default_on=True,
                      description="answers that can be guessed without the skill, per family x level x kind")
