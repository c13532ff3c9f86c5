"""The simulation compiler's recipe section: which environments, how many episodes at which
levels, the fault schedule, the chat template, and whether tools are reached in process or over
MCP (docs/simulation.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt, ValidationInfo, field_validator, model_validator

from synthcompile.compilers.simulation.faults import FaultKind
from synthcompile.config import MAX_COUNT, StrictModel, seed_file
from synthcompile.llm.config import LLMConfig

SHIPPED_TEMPLATES = tuple(sorted(p.stem for p in (Path(__file__).parent / "templates").glob("*.j2")))


class EnvSpec(StrictModel):
    count: PositiveInt = Field(le=MAX_COUNT, description="training episodes")
    levels: list[int] | None = Field(None, description="difficulty levels, cycled (default: all the environment's)")
    probes: int = Field(0, ge=0, description="held-out episodes (split probe, other worlds): "
                                              "the lab's closed-loop tasks")

    @field_validator("levels")
    @classmethod
    def _levels(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and not v:
            raise ValueError("levels: give at least one level, or leave it out for all of them")
        return v


class FaultsConfig(StrictModel):
    per_level: dict[int, int] = Field(default_factory=lambda: {3: 1, 4: 2},
                                      description="faults injected per episode, by level (absent: none)")
    kinds: list[FaultKind] = Field(default_factory=lambda: ["timeout", "error", "stale"],
                                   description="which faults: timeout, error (503), stale (an out-of-date read)")

    @model_validator(mode="after")
    def _valid(self) -> "FaultsConfig":
        if any(n < 0 for n in self.per_level.values()):
            raise ValueError("faults.per_level: counts must be >= 0")
        if not self.kinds:
            raise ValueError("faults.kinds: give at least one kind (or per_level: {} for no faults)")
        return self


class ModelPolicyConfig(StrictModel):
    """A language model as the policy, rejection-sampled: only replay-verified attempts are kept."""

    llm: LLMConfig
    attempts: PositiveInt = Field(4, description="tries per task (each sampled with its own seed)")
    keep: Literal["first", "all"] = Field("first", description="verified attempts kept per task")
    tool_format: Literal["text", "openai"] = Field(
        "text", description="text: <tool_call> JSON in the reply (any backend, base models too); openai: "
                            "the server's tool calling (backend openai)")
    temperature: float = Field(0.7, ge=0, le=2, description="sampling temperature of every attempt")
    max_tokens: PositiveInt = Field(384, description="per model turn")
    max_turns: PositiveInt = Field(16, description="model turns per attempt (calls and messages); an attempt "
                                                   "cut off there fails replay")

    @model_validator(mode="after")
    def _format(self) -> "ModelPolicyConfig":
        if self.tool_format == "openai" and self.llm.backend != "openai":
            raise ValueError("tool_format: openai needs llm.backend: openai (a server with tool calling)")
        return self


class ServerSpec(StrictModel):
    """Someone else's environment: an MCP server and a JSONL file of its tasks (docs/simulation.md)."""

    command: list[str] | None = Field(None, description="a stdio server's command line")
    url: str | None = Field(None, description="a streamable-HTTP server's URL (http://127.0.0.1:8765/mcp)")
    tasks: str = Field(description="JSONL: instruction, answer, and calls (the gold plan) or none (the model plays)")
    description: str = Field("You are an assistant with tools. Answer the request, then end with a line "
                             "'Answer: <result>'.", description="the system prompt's opening")
    policy: str = Field("", description="rules the agent is told")
    tasks_per_shard: PositiveInt = Field(200, description="tasks per shard")

    _tasks = field_validator("tasks")(seed_file)

    @model_validator(mode="after")
    def _one(self) -> "ServerSpec":
        if (self.command is None) == (self.url is None):
            raise ValueError("give a server's command (stdio) or its url (streamable HTTP), not both")
        if self.command is not None and not self.command:
            raise ValueError("command: give the server's command line")
        return self


class SimulationSection(StrictModel):
    servers: dict[str, ServerSpec] = Field(
        default_factory=dict, description="environments written by others: MCP servers with their tasks")
    environments: dict[str, EnvSpec | PositiveInt] = Field(
        default_factory=dict, description="environment -> episodes, or a spec (shipped: shop, files, calendar, "
                                          "bank, knowledge, calculator; or package.module:Class)")
    template: str = Field("chatml", description="chat template: chatml, qwen, llama3, plain, or a Jinja file "
                                                "(a model's chat_template: messages, tools)")
    think: bool = Field(True, description="interleaved thinking: a <think> before each call and after each result")
    faults: FaultsConfig = FaultsConfig()
    via: Literal["process", "mcp-stdio", "mcp-http"] = Field(
        "process", description="how the expert reaches the tools: in process, or through the MCP client to a "
                               "server process (stdio, or streamable HTTP on 127.0.0.1)")
    episodes_per_shard: PositiveInt = Field(1000, description="episodes per shard (the unit of resume)")
    model: ModelPolicyConfig | None = Field(None, description="the policy: null, the expert planners; a model "
                                                              "block, model-driven rollouts")

    @field_validator("template")
    @classmethod
    def _template(cls, v: str, info: ValidationInfo) -> str:
        if v in SHIPPED_TEMPLATES:
            return v
        try:
            return seed_file(v, info)  # a file, relative to the recipe; its content is hashed
        except ValueError:
            raise ValueError(f"template {v!r} is neither shipped ({', '.join(SHIPPED_TEMPLATES)}) "
                             "nor a file") from None

    @model_validator(mode="after")
    def _some(self) -> "SimulationSection":
        if not self.environments and not self.servers:
            raise ValueError("environments: name at least one environment (or an MCP server under servers:)")
        if set(self.environments) & set(self.servers):
            raise ValueError(f"{sorted(set(self.environments) & set(self.servers))[0]!r} is both an environment "
                             "and a server")
        return self

    def specs(self) -> dict[str, EnvSpec]:
        return {k: v if isinstance(v, EnvSpec) else EnvSpec(count=v) for k, v in self.environments.items()}
