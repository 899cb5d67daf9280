"""The model of connectors.yaml: loading, validation with line numbers, and per-environment resolution."""

from connectors_config.errors import ConfigError, ConfigProblem
from connectors_config.loader import CONFIG_ENV_VAR, DEFAULT_CONFIG, config_path_from_env, load_config, parse_config
from connectors_config.model import PlatformConfig
from connectors_config.resolved import (
    ResolvedConnector,
    ResolvedEnvironment,
    ResolvedIngestedObject,
    ResolvedManagedConnector,
    ResolvedMonitoring,
    resolve,
)

__all__ = [
    "CONFIG_ENV_VAR", "DEFAULT_CONFIG", "ConfigError", "ConfigProblem", "PlatformConfig", "ResolvedConnector",
    "ResolvedEnvironment", "ResolvedIngestedObject", "ResolvedManagedConnector", "ResolvedMonitoring",
    "config_path_from_env", "load_config", "parse_config", "resolve",
]
