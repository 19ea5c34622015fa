#include "automl/engine/bundle.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

#include "automl/common/error.hpp"
#include "backend/registry.hpp"
#include "glasswing/common/version.hpp"

namespace glasswing::engine {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

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

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
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

void write_bundle(const fs::path& dir, const features::Pipeline& pipeline, const Model& model, ordered_json manifest) {
  fs::path tmp = dir;
  tmp += ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw Error(ErrorKind::Storage, "cannot create " + tmp.string() + ": " + ec.message() + "; choose a writable --out");

  write_text(tmp / "pipeline.json", pipeline.to_json().dump(1));
  std::string model_file;
  std::string trainer;
  if (model.trainer) {
    trainer = model.trainer->name();
    model_file = trainer == "xgboost" ? "model.json" : "model.bin";
    model.trainer->save((tmp / model_file).string());
  } else {
    trainer = "constant";
    model_file = "constant.json";
    write_text(tmp / model_file, ordered_json{{"format", "glasswing-constant-model"}, {"values", model.constant}}.dump(1));
  }
  manifest["format"] = kBundleFormat;
  manifest["version"] = kBundleVersion;
  manifest["glasswing_version"] = kVersion;
  manifest["build"] = std::string(kBuildType) + ", " + kCompiler;
  manifest["family"] = model.family;
  manifest["trainer"] = trainer;
  manifest["pipeline_file"] = "pipeline.json";
  manifest["model_file"] = model_file;
  manifest["files"] = ordered_json::array({ordered_json{{"path", "manifest.json"}, {"role", "manifest"}},
                                           ordered_json{{"path", "pipeline.json"}, {"role", "feature pipeline"}},
                                           ordered_json{{"path", model_file}, {"role", "model (" + trainer + ")"}}});
  write_text(tmp / "manifest.json", manifest.dump(2) + "\n");

  fs::remove_all(dir, ec);
  fs::rename(tmp, dir, ec);
  if (ec) throw Error(ErrorKind::Storage, "cannot move the bundle into " + dir.string() + ": " + ec.message());
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
  if (!m.is_object() || m.value("format", "") != kBundleFormat)
    throw Error(ErrorKind::BadInput, "bundle " + where + " is not a Glasswing bundle (manifest.json has no \"format\": \"" + kBundleFormat + "\")");
  if (!m.contains("version") || !m["version"].is_number_integer() || m["version"].get<int>() > kBundleVersion)
    throw Error(ErrorKind::BadInput, "bundle " + where + " has format version " + (m.contains("version") ? m["version"].dump() : "?") +
                                         "; this Glasswing reads version " + std::to_string(kBundleVersion) + ", upgrade Glasswing");
  try {
    b.task = m.at("task").get<std::string>();
    b.target = m.at("target").get<std::string>();
    b.classes = m.at("classes").get<std::vector<std::string>>();
    b.model.family = m.at("family").get<std::string>();
    const auto pipeline_file = m.at("pipeline_file").get<std::string>();
    const auto model_file = m.at("model_file").get<std::string>();
    const auto trainer = m.at("trainer").get<std::string>();
    // Only plain file names inside the bundle: never read outside it.
    for (const auto& f : {pipeline_file, model_file})
      if (f.empty() || f.find('/') != std::string::npos || f.find('\\') != std::string::npos || f == "." || f == "..")
        throw Error(ErrorKind::BadInput, "bundle " + where + " names the file '" + f + "', which is not inside the bundle");
    if (b.task != "binary" && b.task != "multiclass" && b.task != "regression")
      throw Error(ErrorKind::BadInput, "bundle " + where + " has an unknown task '" + b.task + "'");
    if ((b.task == "regression") != b.classes.empty())
      throw Error(ErrorKind::BadInput, "bundle " + where + ": classes do not match the task; the bundle is damaged");
    b.pipeline = features::Pipeline::from_json(nlohmann::json::parse(read_text(dir / pipeline_file, "feature pipeline")));
    const std::size_t outputs = b.classes.empty() ? 1 : b.classes.size();
    if (trainer == "constant") {
      const auto j = nlohmann::json::parse(read_text(dir / model_file, "model file"));
      if (j.value("format", "") != "glasswing-constant-model")
        throw Error(ErrorKind::BadInput, "bundle " + where + ": " + model_file + " is not a Glasswing constant model");
      b.model.constant = j.at("values").get<std::vector<double>>();
      if (b.model.constant.size() != outputs)
        throw Error(ErrorKind::BadInput, "bundle " + where + ": the constant model has the wrong number of outputs");
    } else {
      if (!fs::is_regular_file(dir / model_file))
        throw Error(ErrorKind::BadInput, "bundle " + where + " lacks its model file " + model_file + "; export it again");
      try {
        b.model.trainer = backend::load_model((dir / model_file).string());
      } catch (const Error& e) {
        // Library messages may carry a stack trace: keep the first line.
        std::string first = e.what();
        first = first.substr(0, first.find('\n'));
        throw Error(ErrorKind::BadInput, "bundle " + where + ": the model file cannot be loaded (" + first + "); export it again");
      }
      const std::size_t k = static_cast<std::size_t>(b.model.trainer->num_classes());
      if ((b.task == "regression" && k != 1) || (b.task != "regression" && k != outputs))
        throw Error(ErrorKind::BadInput, "bundle " + where + ": the model's outputs do not match the manifest's classes");
      if (b.model.trainer->num_features() != b.pipeline.features().size())
        throw Error(ErrorKind::BadInput, "bundle " + where + ": the model takes " + std::to_string(b.model.trainer->num_features()) +
                                             " features, the pipeline makes " + std::to_string(b.pipeline.features().size()));
    }
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::BadInput) throw;
    throw Error(ErrorKind::BadInput, "bundle " + where + " cannot be loaded: " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::BadInput, "bundle " + where + " is damaged (" + e.what() + "); export it again");
  }
  return b;
}

PredictionTable predict(const Bundle& bundle, const data::Table& table) {
  const features::FeatureMatrix x = bundle.pipeline.transform(table);
  PredictionTable p;
  p.rows = x.rows;
  p.classes = bundle.classes;
  p.values = predict_matrix(bundle.model, x, p.classes.empty() ? 1 : p.classes.size());
  return p;
}

void write_predictions_csv(const PredictionTable& p, const fs::path& path) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorKind::Storage, "cannot write " + path.string() + "; choose a writable --out path");
    out << "prediction";
    for (const auto& c : p.classes) out << ',' << csv_field("proba_" + c);
    out << '\n';
    const std::size_t k = p.classes.empty() ? 1 : p.classes.size();
    std::string line;
    for (std::size_t r = 0; r < p.rows; ++r) {
      const double* row = p.values.data() + r * k;
      if (p.classes.empty()) {
        line = number(row[0]);
      } else {
        std::size_t best = 0;
        for (std::size_t c = 1; c < k; ++c)
          if (row[c] > row[best]) best = c;
        line = csv_field(p.classes[best]);
        for (std::size_t c = 0; c < k; ++c) {
          line += ',';
          line += number(row[c]);
        }
      }
      out << line << '\n';
    }
    out.close();
    if (!out) throw Error(ErrorKind::Storage, "cannot write " + path.string() + "; check free space");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw Error(ErrorKind::Storage, "cannot move the predictions into " + path.string() + ": " + ec.message());
}

}  // namespace glasswing::engine
