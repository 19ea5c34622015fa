#pragma once
// RunSetupPanel: the settings of a run, as the CLI's `glasswing run` flags: target (from the
// loaded columns), task, metric (only those valid for the task, each with its one-sentence
// description as tooltip), time budget, max trials, model families (engine::family_names()),
// device, CV folds, seed and the runs folder; Start, Stop and Resume buttons.
//
// It holds no run logic: runSettings() turns the form into engine::RunSettings, and the buttons
// only emit signals that the MainWindow forwards to the RunWorker. The task shown for "auto" is
// the engine's own inference (data::analyze_target), so the metric list matches what the run
// will do; a target the engine rejects is explained under the combo before the run starts.
//
// Settings persist in QSettings (group "run") on every change and are restored on construction;
// the target is remembered by name and chosen again when a file with that column is loaded.
// Column type overrides come from the data panel (setColumnTypes; per file, not persisted);
// search-space edits from the "Search space…" dialog (SearchSpaceDialog), persisted with the rest.

#include <QString>
#include <QStringList>
#include <QWidget>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "automl/engine/run.hpp"

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
QT_END_NAMESPACE

namespace glasswing::studio {

struct LoadedDataset;

class RunSetupPanel : public QWidget {
  Q_OBJECT

 public:
  explicit RunSetupPanel(QWidget* parent = nullptr);

  // Fills the target combo with the dataset's columns (nullptr: none loaded).
  void setDataset(std::shared_ptr<const LoadedDataset> dataset);
  // Enables Start / Stop / Resume for the state of the run.
  void setRunState(bool running, bool canResume);

  // The form as engine settings (data, target, task, metric, budget, trials, families, device,
  // cv, seed); `out` and `resume` are left to the caller. nullopt with `error` set (one line
  // naming the setting and the remedy) when the form cannot make a run.
  std::optional<engine::RunSettings> runSettings(QString* error) const;
  // The folder under which each run gets a directory of its own.
  QString runsFolder() const;

  // For the command line, the tests and the bench.
  bool setTarget(const QString& name);
  QString target() const;
  void setTask(const QString& task);
  bool setMetric(const QString& metric);
  void setTimeBudget(double seconds);  // 0: none
  void setMaxTrials(int trials);       // 0: none
  void setCvFolds(int folds);          // < 2: auto (chosen from the data size)
  void setFamilies(const QStringList& families);
  QStringList families() const;
  void setRunsFolder(const QString& folder);
  // The data panel's type overrides (engine::RunSettings::column_types); cleared by setDataset.
  void setColumnTypes(const std::map<std::string, std::string>& types);
  const std::map<std::string, std::string>& columnTypes() const { return m_columnTypes; }
  // Search-space edits (engine::RunSettings::space): checked by engine::check_space_edits; false
  // with `error` set (one line) when refused, the current edits kept. Emits searchSpaceEdited.
  bool setSearchSpace(const nlohmann::ordered_json& space, QString* error = nullptr);
  const nlohmann::ordered_json& searchSpace() const { return m_space; }
  // Opens the "Search space…" dialog for the checked families (modal).
  void editSearchSpace();
  QPushButton* searchSpaceButton() const { return m_spaceButton; }
  // The summary beside the button ("default", "2 parameters edited").
  QString searchSpaceSummary() const;
  // The metrics the metric combo offers now ("auto" first).
  QStringList metricChoices() const;
  // The task the run will have with "auto": inferred from the target; empty when unknown.
  QString inferredTask() const { return m_inferredTask; }
  // The explanation under the target combo (the inferred task, or why the target cannot be used).
  QString targetHint() const;

  QComboBox* targetCombo() const { return m_target; }
  QComboBox* taskCombo() const { return m_task; }
  QComboBox* metricCombo() const { return m_metric; }
  QPushButton* startButton() const { return m_start; }
  QPushButton* stopButton() const { return m_stop; }
  QPushButton* resumeButton() const { return m_resume; }

  // Restores the form from QSettings / writes it there (done on every change).
  void loadSettings();
  void saveSettings() const;

  // The default runs folder: the user's data folder's "runs".
  static QString defaultRunsFolder();

 signals:
  void startRequested();
  void stopRequested();
  void resumeRequested();
  // The user changed the search-space edits (the new RunSettings::space as compact JSON).
  void searchSpaceEdited(const QString& json);

 private:
  void onTargetChanged();
  void updateMetrics();
  void changed();
  QString effectiveTask() const;

  std::shared_ptr<const LoadedDataset> m_dataset;
  QComboBox* m_target = nullptr;
  QLabel* m_targetHint = nullptr;
  QComboBox* m_task = nullptr;
  QComboBox* m_metric = nullptr;
  QDoubleSpinBox* m_budget = nullptr;
  QSpinBox* m_maxTrials = nullptr;
  QListWidget* m_families = nullptr;
  QComboBox* m_device = nullptr;
  QSpinBox* m_cv = nullptr;
  QSpinBox* m_seed = nullptr;
  QLineEdit* m_folder = nullptr;
  QPushButton* m_browse = nullptr;
  QPushButton* m_start = nullptr;
  QPushButton* m_stop = nullptr;
  QPushButton* m_resume = nullptr;
  QPushButton* m_spaceButton = nullptr;
  QLabel* m_spaceSummary = nullptr;
  nlohmann::ordered_json m_space = nlohmann::ordered_json::object();
  std::map<std::string, std::string> m_columnTypes;
  QString m_inferredTask;
  QString m_savedTarget;
  QString m_savedMetric;
  bool m_restoring = false;
  bool m_targetOk = false;
};

}  // namespace glasswing::studio
