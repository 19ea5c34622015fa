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
// Column type overrides are not offered: engine::RunSettings has no way to pass them yet.

#include <QString>
#include <QStringList>
#include <QWidget>
#include <memory>
#include <optional>

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
  void setFamilies(const QStringList& families);
  QStringList families() const;
  void setRunsFolder(const QString& folder);
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
  QString m_inferredTask;
  QString m_savedTarget;
  QString m_savedMetric;
  bool m_restoring = false;
  bool m_targetOk = false;
};

}  // namespace glasswing::studio
