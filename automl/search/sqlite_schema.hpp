// The DDL Optuna (SQLAlchemy 1.4) emits on SQLite, byte for byte as stored in sqlite_master
// (source: shared/fixtures/optuna/optuna-3.1-schema.sql). Internal to sqlite_storage.cpp.
#pragma once

namespace glasswing::search::sqlite_schema {

struct Ddl {
  const char* kind;  // "table" or "index"
  const char* name;
  const char* sql;
};

// In Optuna's creation order. alembic_version comes last (alembic creates it when stamping).
inline constexpr Ddl kDdl[] = {
    {"table", "studies",
     "CREATE TABLE studies (\n"
     "\tstudy_id INTEGER NOT NULL, \n"
     "\tstudy_name VARCHAR(512) NOT NULL, \n"
     "\tPRIMARY KEY (study_id)\n"
     ")"},
    {"index", "ix_studies_study_name",
     "CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name)"},
    {"table", "version_info",
     "CREATE TABLE version_info (\n"
     "\tversion_info_id INTEGER NOT NULL, \n"
     "\tschema_version INTEGER, \n"
     "\tlibrary_version VARCHAR(256), \n"
     "\tPRIMARY KEY (version_info_id), \n"
     "\tCHECK (version_info_id=1)\n"
     ")"},
    {"table", "study_directions",
     "CREATE TABLE study_directions (\n"
     "\tstudy_direction_id INTEGER NOT NULL, \n"
     "\tdirection VARCHAR(8) NOT NULL, \n"
     "\tstudy_id INTEGER NOT NULL, \n"
     "\tobjective INTEGER NOT NULL, \n"
     "\tPRIMARY KEY (study_direction_id), \n"
     "\tUNIQUE (study_id, objective), \n"
     "\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n"
     ")"},
    {"table", "study_user_attributes",
     "CREATE TABLE study_user_attributes (\n"
     "\tstudy_user_attribute_id INTEGER NOT NULL, \n"
     "\tstudy_id INTEGER, \n"
     "\t\"key\" VARCHAR(512), \n"
     "\tvalue_json TEXT, \n"
     "\tPRIMARY KEY (study_user_attribute_id), \n"
     "\tUNIQUE (study_id, \"key\"), \n"
     "\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n"
     ")"},
    {"table", "study_system_attributes",
     "CREATE TABLE study_system_attributes (\n"
     "\tstudy_system_attribute_id INTEGER NOT NULL, \n"
     "\tstudy_id INTEGER, \n"
     "\t\"key\" VARCHAR(512), \n"
     "\tvalue_json TEXT, \n"
     "\tPRIMARY KEY (study_system_attribute_id), \n"
     "\tUNIQUE (study_id, \"key\"), \n"
     "\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n"
     ")"},
    {"table", "trials",
     "CREATE TABLE trials (\n"
     "\ttrial_id INTEGER NOT NULL, \n"
     "\tnumber INTEGER, \n"
     "\tstudy_id INTEGER, \n"
     "\tstate VARCHAR(8) NOT NULL, \n"
     "\tdatetime_start DATETIME, \n"
     "\tdatetime_complete DATETIME, \n"
     "\tPRIMARY KEY (trial_id), \n"
     "\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n"
     ")"},
    {"table", "trial_user_attributes",
     "CREATE TABLE trial_user_attributes (\n"
     "\ttrial_user_attribute_id INTEGER NOT NULL, \n"
     "\ttrial_id INTEGER, \n"
     "\t\"key\" VARCHAR(512), \n"
     "\tvalue_json TEXT, \n"
     "\tPRIMARY KEY (trial_user_attribute_id), \n"
     "\tUNIQUE (trial_id, \"key\"), \n"
     "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
     ")"},
    {"table", "trial_system_attributes",
     "CREATE TABLE trial_system_attributes (\n"
     "\ttrial_system_attribute_id INTEGER NOT NULL, \n"
     "\ttrial_id INTEGER, \n"
     "\t\"key\" VARCHAR(512), \n"
     "\tvalue_json TEXT, \n"
     "\tPRIMARY KEY (trial_system_attribute_id), \n"
     "\tUNIQUE (trial_id, \"key\"), \n"
     "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
     ")"},
    {"table", "trial_params",
     "CREATE TABLE trial_params (\n"
     "\tparam_id INTEGER NOT NULL, \n"
     "\ttrial_id INTEGER, \n"
     "\tparam_name VARCHAR(512), \n"
     "\tparam_value FLOAT, \n"
     "\tdistribution_json TEXT, \n"
     "\tPRIMARY KEY (param_id), \n"
     "\tUNIQUE (trial_id, param_name), \n"
     "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
     ")"},
    {"table", "trial_values",
     "CREATE TABLE trial_values (\n"
     "\ttrial_value_id INTEGER NOT NULL, \n"
     "\ttrial_id INTEGER NOT NULL, \n"
     "\tobjective INTEGER NOT NULL, \n"
     "\tvalue FLOAT, \n"
     "\tvalue_type VARCHAR(7) NOT NULL, \n"
     "\tPRIMARY KEY (trial_value_id), \n"
     "\tUNIQUE (trial_id, objective), \n"
     "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
     ")"},
    {"table", "trial_intermediate_values",
     "CREATE TABLE trial_intermediate_values (\n"
     "\ttrial_intermediate_value_id INTEGER NOT NULL, \n"
     "\ttrial_id INTEGER NOT NULL, \n"
     "\tstep INTEGER NOT NULL, \n"
     "\tintermediate_value FLOAT, \n"
     "\tintermediate_value_type VARCHAR(7) NOT NULL, \n"
     "\tPRIMARY KEY (trial_intermediate_value_id), \n"
     "\tUNIQUE (trial_id, step), \n"
     "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
     ")"},
    {"table", "trial_heartbeats",
     "CREATE TABLE trial_heartbeats (\n"
     "\ttrial_heartbeat_id INTEGER NOT NULL, \n"
     "\ttrial_id INTEGER NOT NULL, \n"
     "\theartbeat DATETIME NOT NULL, \n"
     "\tPRIMARY KEY (trial_heartbeat_id), \n"
     "\tUNIQUE (trial_id), \n"
     "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
     ")"},
    {"table", "alembic_version",
     "CREATE TABLE alembic_version (\n"
     "\tversion_num VARCHAR(32) NOT NULL, \n"
     "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
     ")"},
};

// Added by Optuna >= 3.2 to fresh files (alembic revision v3.2.0.a).
inline constexpr const char* kTrialsStudyIdIndex = "CREATE INDEX ix_trials_study_id ON trials (study_id)";

}  // namespace glasswing::search::sqlite_schema
