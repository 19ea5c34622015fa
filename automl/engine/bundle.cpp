#include "automl/engine/bundle.hpp"
#include "automl/engine/ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <unordered_map>

#include "automl/common/error.hpp"
#include "automl/engine/run.hpp"
#include "backend/registry.hpp"
#include "glasswing/common/version.hpp"

namespace glasswing::engine {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

constexpr std::size_t kMaxSchemaCategories = 10000;

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw Error(ErrorKind::Storage, "cannot write " + path.string() + "; check the permissions and free space");
}

std::string read_text(const fs::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::BadInput, what + " " + path.string() + " cannot be read; give a bundle directory written by 'glasswing run' (RUN_DIR/model)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// CSV quoting: quotes when the text has a separator, quote or line break.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void append_number(std::string& out, double v) {
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%.17g", v);
  out.append(buf, static_cast<std::size_t>(n));
}

bool plain_name(const std::string& f) {
  return !f.empty() && f.find('/') == std::string::npos && f.find('\\') == std::string::npos && f != "." && f != ".." &&
         f.find('\0') == std::string::npos;
}

// Writes one model's files into `tmp` under `prefix` ("" or "member_<i>."); returns
// {trainer, model_file}.
std::pair<std::string, std::string> write_model_files(const fs::path& tmp, const std::string& prefix, const Model& model) {
  if (model.trainer) {
    const std::string trainer = model.trainer->name();
    const std::string file = prefix + (trainer == "xgboost" ? "model.json" : "model.bin");
    model.trainer->save((tmp / file).string());
    return {trainer, file};
  }
  const std::string file = prefix + "constant.json";
  write_text(tmp / file, ordered_json{{"format", "glasswing-constant-model"}, {"values", model.constant}}.dump(1));
  return {"constant", file};
}

fs::path start_tmp(const fs::path& dir) {
  fs::path tmp = dir;
  tmp += ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw Error(ErrorKind::Storage, "cannot create " + tmp.string() + ": " + ec.message() + "; choose a writable --out");
  return tmp;
}

// Adds the bundle fields, the file list with sha256, writes manifest.json and moves tmp to dir.
void finish_bundle(const fs::path& tmp, const fs::path& dir, ordered_json& manifest, int version,
                   const std::vector<std::pair<std::string, std::string>>& files) {
  manifest["format"] = kBundleFormat;
  manifest["version"] = version;
  manifest["glasswing_version"] = kVersion;
  manifest["build"] = std::string(kBuildType) + ", " + kCompiler;
  ordered_json list = ordered_json::array({ordered_json{{"path", "manifest.json"}, {"role", "manifest"}}});
  for (const auto& [path, role] : files) list.push_back({{"path", path}, {"role", role}, {"sha256", sha256_file(tmp / path)}});
  manifest["files"] = list;
  write_text(tmp / "manifest.json", manifest.dump(2) + "\n");
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::rename(tmp, dir, ec);
  if (ec) throw Error(ErrorKind::Storage, "cannot move the bundle into " + dir.string() + ": " + ec.message());
}

// Reads and checks one model (pipeline + model file) of a bundle.
void load_member(const fs::path& dir, const std::string& where, const Bundle& b, const std::string& pipeline_file,
                 const std::string& model_file, const std::string& trainer, LoadedMember& out) {
  for (const auto& f : {pipeline_file, model_file})
    if (!plain_name(f)) throw Error(ErrorKind::BadInput, "bundle " + where + " names the file '" + f + "', which is not inside the bundle");
  out.pipeline = features::Pipeline::from_json(nlohmann::json::parse(read_text(dir / pipeline_file, "feature pipeline")));
  const std::size_t outputs = b.outputs();
  if (trainer == "constant") {
    const auto j = nlohmann::json::parse(read_text(dir / model_file, "model file"));
    if (j.value("format", "") != "glasswing-constant-model")
      throw Error(ErrorKind::BadInput, "bundle " + where + ": " + model_file + " is not a Glasswing constant model");
    out.model.constant = j.at("values").get<std::vector<double>>();
    if (out.model.constant.size() != outputs)
      throw Error(ErrorKind::BadInput, "bundle " + where + ": the constant model has the wrong number of outputs");
    return;
  }
  if (!fs::is_regular_file(dir / model_file))
    throw Error(ErrorKind::BadInput, "bundle " + where + " lacks its model file " + model_file + "; export it again");
  try {
    out.model.trainer = backend::load_model((dir / model_file).string());
  } catch (const Error& e) {
    // The bundle is fine but this installation cannot load its backend (docs/BACKENDS.md, "Loading").
    if (e.kind() == ErrorKind::Resource) throw Error(ErrorKind::Resource, "bundle " + where + ": " + e.what());
    // Library messages may carry a stack trace: keep the first line.
    std::string first = e.what();
    first = first.substr(0, first.find('\n'));
    throw Error(ErrorKind::BadInput, "bundle " + where + ": the model file " + model_file + " cannot be loaded (" + first + "); export it again");
  }
  const std::size_t k = static_cast<std::size_t>(out.model.trainer->num_classes());
  if ((b.task == "regression" && k != 1) || (b.task != "regression" && k != outputs))
    throw Error(ErrorKind::BadInput, "bundle " + where + ": the model's outputs do not match the manifest's classes");
  if (out.model.trainer->num_features() != out.pipeline.features().size())
    throw Error(ErrorKind::BadInput, "bundle " + where + ": the model takes " + std::to_string(out.model.trainer->num_features()) +
                                         " features, the pipeline makes " + std::to_string(out.pipeline.features().size()));
}

// The input schema of a loaded bundle: required columns, training types, known categories.
void build_schema(Bundle& b) {
  std::set<std::string> required;
  std::map<std::string, std::set<std::string>> from_pipelines;
  std::vector<const features::Pipeline*> pipelines;
  if (b.members.empty()) pipelines.push_back(&b.pipeline);
  for (const auto& m : b.members) pipelines.push_back(&m.pipeline);
  for (const auto* pipeline : pipelines) {
    for (const auto& f : pipeline->features())
      for (const auto& s : f.sources) required.insert(s);
    // Encoders of categorical columns hold every category seen in training.
    const nlohmann::json j = pipeline->to_json();
    for (const auto& step : j.at("steps")) {
      const std::string kind = step.value("kind", "");
      if (kind == "one_hot" || kind == "target_encoding" || kind == "frequency_encoding")
        for (const auto& c : step.at("params").at("categories")) from_pipelines[step.at("column").get<std::string>()].insert(c.get<std::string>());
    }
  }
  b.required_columns.assign(required.begin(), required.end());
  std::set<std::string> described;
  if (b.manifest.contains("input_columns") && b.manifest["input_columns"].is_array()) {
    for (const auto& c : b.manifest["input_columns"]) {
      const std::string name = c.at("name").get<std::string>();
      if (c.contains("type"))
        if (const auto t = data::column_type_from_string(c["type"].get<std::string>())) b.column_types[name] = *t;
      if (c.contains("categories")) {
        auto cats = c["categories"].get<std::vector<std::string>>();
        std::sort(cats.begin(), cats.end());
        b.known_categories[name] = std::move(cats);
        described.insert(name);
      }
    }
  }
  for (auto& [name, cats] : from_pipelines)
    if (!described.count(name) && required.count(name)) b.known_categories[name].assign(cats.begin(), cats.end());
  // Only the columns the model reads matter.
  for (auto it = b.known_categories.begin(); it != b.known_categories.end();)
    it = required.count(it->first) ? std::next(it) : b.known_categories.erase(it);
}

}  // namespace

std::vector<double> predict_matrix(const Model& model, const features::FeatureMatrix& x, std::size_t outputs) {
  std::vector<double> out(x.rows * outputs);
  if (!model.trainer) {
    if (model.constant.size() != outputs)
      throw Error(ErrorKind::Internal, "constant model has " + std::to_string(model.constant.size()) + " outputs, expected " +
                                           std::to_string(outputs));
    for (std::size_t r = 0; r < x.rows; ++r)
      for (std::size_t c = 0; c < outputs; ++c) out[r * outputs + c] = model.constant[c];
    return out;
  }
  const backend::Prediction p = model.trainer->predict(backend::MatrixView{x.values.data(), x.rows, x.cols});
  if (p.cols != outputs || p.rows != x.rows)
    throw Error(ErrorKind::BadInput, "the model predicts " + std::to_string(p.cols) + " columns, the bundle expects " +
                                         std::to_string(outputs) + "; the bundle is damaged");
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(p.values[i]);
  if (outputs > 1) {
    for (std::size_t r = 0; r < x.rows; ++r) {
      double sum = 0;
      for (std::size_t c = 0; c < outputs; ++c) sum += out[r * outputs + c];
      if (sum > 0)
        for (std::size_t c = 0; c < outputs; ++c) out[r * outputs + c] /= sum;
    }
  }
  return out;
}

ordered_json describe_training_data(const data::Table& table, const std::string& target, std::span<const std::size_t> rows) {
  std::vector<std::size_t> all;
  if (rows.empty()) {
    all.resize(table.rows());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    rows = all;
  }
  const double n = static_cast<double>(rows.size());
  ordered_json inputs = ordered_json::array();
  ordered_json summary = ordered_json::object();
  for (const auto& c : table.columns()) {
    if (c.name() == target) continue;
    ordered_json in{{"name", c.name()}, {"type", std::string(data::to_string(c.type()))}};
    ordered_json s = ordered_json::object();
    std::size_t missing = 0;
    if (c.is_numeric()) {
      double sum = 0;
      std::size_t present = 0;
      for (const auto r : rows) {
        const double v = c.values()[r];
        if (std::isnan(v)) {
          ++missing;
        } else if (std::isfinite(v)) {
          sum += v;
          ++present;
        }
      }
      s["missing_rate"] = rows.empty() ? 0.0 : static_cast<double>(missing) / n;
      if (present > 0) s["mean"] = sum / static_cast<double>(present);
    } else {
      std::vector<std::size_t> count(c.categories().size(), 0);
      for (const auto r : rows) {
        const auto code = c.codes()[r];
        if (code < 0) ++missing;
        else ++count[static_cast<std::size_t>(code)];
      }
      s["missing_rate"] = rows.empty() ? 0.0 : static_cast<double>(missing) / n;
      std::size_t top = count.size();
      std::vector<std::string> seen;
      for (std::size_t i = 0; i < count.size(); ++i) {
        if (count[i] == 0) continue;
        seen.push_back(c.categories()[i]);
        if (top == count.size() || count[i] > count[top]) top = i;
      }
      if (top < count.size()) {
        s["top"] = c.categories()[top];
        s["top_share"] = static_cast<double>(count[top]) / n;
      }
      if (c.type() == data::ColumnType::Categorical || c.type() == data::ColumnType::Boolean) {
        std::sort(seen.begin(), seen.end());
        if (seen.size() <= kMaxSchemaCategories) in["categories"] = seen;
        else in["categories_left_out"] = seen.size();
      }
    }
    inputs.push_back(in);
    summary[c.name()] = s;
  }
  return {{"input_columns", inputs},
          {"training_rows", rows.size()},
          {"training_summary", {{"rows", rows.size()}, {"columns", summary}}}};
}

void write_bundle(const fs::path& dir, const features::Pipeline& pipeline, const Model& model, ordered_json manifest) {
  const fs::path tmp = start_tmp(dir);
  write_text(tmp / "pipeline.json", pipeline.to_json().dump(1));
  const auto [trainer, model_file] = write_model_files(tmp, "", model);
  manifest["family"] = model.family;
  manifest["trainer"] = trainer;
  manifest["pipeline_file"] = "pipeline.json";
  manifest["model_file"] = model_file;
  finish_bundle(tmp, dir, manifest, kSingleBundleVersion,
                {{"pipeline.json", "feature pipeline"}, {model_file, "model (" + trainer + ")"}});
}

void write_ensemble_bundle(const fs::path& dir, const std::vector<BundleMember>& members, ordered_json manifest) {
  double total = 0;
  for (const auto& m : members) {
    if (m.pipeline == nullptr || m.model == nullptr)
      throw Error(ErrorKind::Internal, "write_ensemble_bundle: a member lacks its pipeline or model");
    if (!std::isfinite(m.weight) || m.weight < 0)
      throw Error(ErrorKind::Internal, "write_ensemble_bundle: member weights must be finite and >= 0");
    total += m.weight;
  }
  if (!(total > 0)) throw Error(ErrorKind::Internal, "write_ensemble_bundle: no member has a positive weight");
  const fs::path tmp = start_tmp(dir);
  ordered_json list = ordered_json::array();
  std::vector<std::pair<std::string, std::string>> files;
  std::size_t i = 0;
  for (const auto& m : members) {
    if (m.weight == 0) continue;
    const std::string name = "member_" + std::to_string(i++);
    const std::string pipeline_file = name + ".pipeline.json";
    write_text(tmp / pipeline_file, m.pipeline->to_json().dump(1));
    const auto [trainer, model_file] = write_model_files(tmp, name + ".", *m.model);
    ordered_json entry{{"name", name},
                       {"weight", m.weight / total},
                       {"family", m.model->family},
                       {"trainer", trainer},
                       {"pipeline_file", pipeline_file},
                       {"model_file", model_file}};
    for (const auto& [k, v] : m.about.items())
      if (!entry.contains(k)) entry[k] = v;
    list.push_back(entry);
    files.emplace_back(pipeline_file, name + " feature pipeline");
    files.emplace_back(model_file, name + " model (" + trainer + ")");
  }
  manifest["family"] = "ensemble";
  manifest["trainer"] = "ensemble";
  manifest["members"] = list;
  finish_bundle(tmp, dir, manifest, kBundleVersion, files);
}

Bundle load_bundle(const fs::path& dir) {
  const std::string where = dir.string();
  if (!fs::is_directory(dir))
    throw Error(ErrorKind::BadInput, "model bundle " + where + " is not a directory; give RUN_DIR/model from 'glasswing run'");
  const std::string text = read_text(dir / "manifest.json", "bundle manifest");
  Bundle b;
  try {
    b.manifest = ordered_json::parse(text);
  } catch (const std::exception&) {
    throw Error(ErrorKind::BadInput, "bundle manifest " + (dir / "manifest.json").string() + " is not valid JSON; the bundle is damaged, export it again");
  }
  const auto& m = b.manifest;
  if (!m.is_object() || !m.contains("format") || !m["format"].is_string() || m["format"].get<std::string>() != kBundleFormat)
    throw Error(ErrorKind::BadInput, "bundle " + where + " is not a Glasswing bundle (manifest.json has no \"format\": \"" + kBundleFormat + "\")");
  if (!m.contains("version") || !m["version"].is_number_integer() || m["version"].get<int>() < 1 ||
      m["version"].get<int>() > kBundleVersion)
    throw Error(ErrorKind::BadInput, "bundle " + where + " has format version " + (m.contains("version") ? m["version"].dump() : "?") +
                                         "; this Glasswing reads versions 1 to " + std::to_string(kBundleVersion) +
                                         ", upgrade Glasswing");
  b.version = m["version"].get<int>();
  try {
    // Every listed file: a plain name inside the bundle, a regular file (no link), the recorded hash.
    if (m.contains("files")) {
      for (const auto& f : m.at("files")) {
        const std::string path = f.at("path").get<std::string>();
        if (!plain_name(path))
          throw Error(ErrorKind::BadInput, "bundle " + where + " lists the file '" + path + "', which is not inside the bundle; "
                                           "refusing to read it (re-export the bundle with 'glasswing run')");
        if (fs::is_symlink(dir / path) || !fs::is_regular_file(dir / path))
          throw Error(ErrorKind::BadInput, "bundle " + where + " lacks its file " + path + " (or it is not a plain file); export it again");
        if (f.contains("sha256") && sha256_file(dir / path) != f["sha256"].get<std::string>())
          throw Error(ErrorKind::BadInput, "bundle " + where + ": " + path + " does not match its sha256 in the manifest; "
                                           "the bundle is damaged, export it again");
      }
    }
    b.task = m.at("task").get<std::string>();
    b.target = m.at("target").get<std::string>();
    b.classes = m.at("classes").get<std::vector<std::string>>();
    b.family = m.at("family").get<std::string>();
    if (b.task != "binary" && b.task != "multiclass" && b.task != "regression")
      throw Error(ErrorKind::BadInput, "bundle " + where + " has an unknown task '" + b.task + "'");
    if ((b.task == "regression") != b.classes.empty())
      throw Error(ErrorKind::BadInput, "bundle " + where + ": classes do not match the task; the bundle is damaged");
    if (m.contains("members")) {
      if (b.version < 2)
        throw Error(ErrorKind::BadInput, "bundle " + where + " has members but says version 1; the bundle is damaged");
      const auto& list = m.at("members");
      if (!list.is_array() || list.empty())
        throw Error(ErrorKind::BadInput, "bundle " + where + ": \"members\" is empty; the bundle is damaged");
      double total = 0;
      for (const auto& e : list) {
        LoadedMember lm;
        lm.name = e.at("name").get<std::string>();
        lm.weight = e.at("weight").get<double>();
        if (!std::isfinite(lm.weight) || lm.weight <= 0)
          throw Error(ErrorKind::BadInput, "bundle " + where + ": member " + lm.name + " has a weight that is not positive");
        lm.model.family = e.at("family").get<std::string>();
        load_member(dir, where, b, e.at("pipeline_file").get<std::string>(), e.at("model_file").get<std::string>(),
                    e.at("trainer").get<std::string>(), lm);
        total += lm.weight;
        b.members.push_back(std::move(lm));
      }
      for (auto& lm : b.members) lm.weight /= total;
      // The heaviest member again, as the bundle's model (for the explanation panels).
      std::size_t heaviest = 0;
      for (std::size_t i = 1; i < b.members.size(); ++i)
        if (b.members[i].weight > b.members[heaviest].weight) heaviest = i;
      const auto& e = list[heaviest];
      LoadedMember lm;
      lm.model.family = e.at("family").get<std::string>();
      load_member(dir, where, b, e.at("pipeline_file").get<std::string>(), e.at("model_file").get<std::string>(),
                  e.at("trainer").get<std::string>(), lm);
      b.pipeline = std::move(lm.pipeline);
      b.model = std::move(lm.model);
    } else {
      LoadedMember lm;
      lm.model.family = b.family;
      load_member(dir, where, b, m.at("pipeline_file").get<std::string>(), m.at("model_file").get<std::string>(),
                  m.at("trainer").get<std::string>(), lm);
      b.pipeline = std::move(lm.pipeline);
      b.model = std::move(lm.model);
    }
    build_schema(b);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::BadInput || e.kind() == ErrorKind::Resource) throw;
    throw Error(ErrorKind::BadInput, "bundle " + where + " cannot be loaded: " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::BadInput, "bundle " + where + " is damaged (" + e.what() + "); export it again");
  }
  return b;
}

data::Table conform_input(const Bundle& bundle, const data::Table& table, UnseenCounts* unseen) {
  std::string missing;
  std::size_t n_missing = 0;
  for (const auto& name : bundle.required_columns)
    if (table.find(name) == nullptr) {
      missing += (missing.empty() ? "'" : ", '") + name + "'";
      ++n_missing;
    }
  if (n_missing > 0)
    throw Error(ErrorKind::BadInput, std::string("the data lacks ") + (n_missing == 1 ? "column " : "columns ") + missing +
                                         ", which the model uses; give a file with the training data's columns "
                                         "(extra columns are ignored)");
  std::vector<data::Column> columns;
  columns.reserve(bundle.required_columns.size());
  for (const auto& name : bundle.required_columns) {
    const data::Column& c = *table.find(name);
    const auto known = bundle.known_categories.find(name);
    if (known == bundle.known_categories.end()) {
      columns.push_back(c);
      continue;
    }
    // Categories not seen in training become missing, coded into the training categories.
    const std::vector<std::string>& cats = known->second;
    auto code_of = [&](const std::string& text) -> std::int32_t {
      const auto it = std::lower_bound(cats.begin(), cats.end(), text);
      return it != cats.end() && *it == text ? static_cast<std::int32_t>(it - cats.begin()) : -2;
    };
    std::vector<std::int32_t> codes(c.size());
    std::size_t count = 0;
    if (!c.is_numeric()) {
      std::vector<std::int32_t> map(c.categories().size());
      for (std::size_t i = 0; i < map.size(); ++i) map[i] = code_of(c.categories()[i]);
      for (std::size_t r = 0; r < codes.size(); ++r) {
        const auto code = c.codes()[r];
        codes[r] = code < 0 ? -1 : map[static_cast<std::size_t>(code)];
      }
    } else {
      std::unordered_map<std::string, std::int32_t> seen;
      for (std::size_t r = 0; r < codes.size(); ++r) {
        if (c.is_missing(r)) {
          codes[r] = -1;
          continue;
        }
        const std::string text = c.cell_text(r);
        auto it = seen.find(text);
        if (it == seen.end()) it = seen.emplace(text, code_of(text)).first;
        codes[r] = it->second;
      }
    }
    for (auto& code : codes)
      if (code == -2) {
        code = -1;
        ++count;
      }
    if (unseen != nullptr && count > 0) (*unseen)[name] += count;
    const auto type = bundle.column_types.count(name) ? bundle.column_types.at(name) : c.type();
    const bool dictionary_type = type == data::ColumnType::Categorical || type == data::ColumnType::Boolean ||
                                 type == data::ColumnType::Text || type == data::ColumnType::Id;
    columns.push_back(data::Column::dictionary(name, dictionary_type ? type : data::ColumnType::Categorical, std::move(codes), cats));
  }
  return data::Table(std::move(columns));
}

PredictionTable predict(const Bundle& bundle, const data::Table& table, UnseenCounts* unseen) {
  const data::Table input = conform_input(bundle, table, unseen);
  PredictionTable p;
  p.rows = table.rows();
  p.classes = bundle.classes;
  const std::size_t k = bundle.outputs();
  auto checked = [&](std::vector<double> values) {
    if (values.size() != p.rows * k)
      throw Error(ErrorKind::Internal, "the model predicted " + std::to_string(values.size() / k) + " rows for " +
                                           std::to_string(p.rows) + " input rows");
    return values;
  };
  if (bundle.members.empty()) {
    p.values = checked(predict_matrix(bundle.model, bundle.pipeline.transform(input), k));
    return p;
  }
  // The same blend (order, weights, renormalisation) as the run's test predictions.
  std::vector<std::vector<double>> values;
  std::vector<double> weights;
  for (const auto& m : bundle.members) {
    values.push_back(checked(predict_matrix(m.model, m.pipeline.transform(input), k)));
    weights.push_back(m.weight);
  }
  const std::vector<std::span<const double>> spans(values.begin(), values.end());
  p.values = p.rows == 0 ? std::vector<double>{} : blend(spans, weights, k);
  return p;
}

std::string predictions_csv_header(const std::vector<std::string>& classes) {
  std::string h = "prediction";
  for (const auto& c : classes) {
    h += ',';
    h += csv_field("proba_" + c);
  }
  h += '\n';
  return h;
}

void append_predictions_csv(const PredictionTable& p, std::string& out) {
  const std::size_t k = p.classes.empty() ? 1 : p.classes.size();
  std::vector<std::string> labels;
  for (const auto& c : p.classes) labels.push_back(csv_field(c));
  for (std::size_t r = 0; r < p.rows; ++r) {
    const double* row = p.values.data() + r * k;
    if (p.classes.empty()) {
      append_number(out, row[0]);
    } else {
      std::size_t best = 0;
      for (std::size_t c = 1; c < k; ++c)
        if (row[c] > row[best]) best = c;
      out += labels[best];
      for (std::size_t c = 0; c < k; ++c) {
        out += ',';
        append_number(out, row[c]);
      }
    }
    out += '\n';
  }
}

void write_predictions_csv(const PredictionTable& p, const fs::path& path) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorKind::Storage, "cannot write " + path.string() + "; choose a writable --out path");
    std::string text = predictions_csv_header(p.classes);
    append_predictions_csv(p, text);
    out << text;
    out.close();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw Error(ErrorKind::Storage, "cannot write " + path.string() + "; check free space");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw Error(ErrorKind::Storage, "cannot move the predictions into " + path.string() + ": " + ec.message());
}

}  // namespace glasswing::engine
