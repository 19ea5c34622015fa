#include "panels/runsetuppanel.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QVBoxLayout>
#include <exception>
#include <limits>

#include "automl/common/error.hpp"
#include "automl/data/profile.hpp"
#include "automl/metrics/metrics.hpp"
#include "panels/searchspacedialog.hpp"
#include "workers/csvloader.hpp"

namespace glasswing::studio {
namespace {

const QString kGroup = QStringLiteral("run");
// Above this many rows the task is inferred by the run itself, not while the user picks a target
// (the inference reads the whole column on the GUI thread).
constexpr std::size_t kMaxRowsToAnalyze = 300'000;

QString taskTooltip(const QString& task) {
  if (task == QStringLiteral("auto")) {
    return RunSetupPanel::tr("Infer the task from the target: a numeric target with many values is "
                             "regression, otherwise classification.");
  }
  if (task == QStringLiteral("binary")) return RunSetupPanel::tr("Classification into two classes.");
  if (task == QStringLiteral("multiclass")) return RunSetupPanel::tr("Classification into three or more classes.");
  return RunSetupPanel::tr("Prediction of a number.");
}

bool metricApplies(const metrics::MetricInfo& metric, const QString& task) {
  if (task == QStringLiteral("binary")) return metric.binary;
  if (task == QStringLiteral("multiclass")) return metric.multiclass;
  if (task == QStringLiteral("regression")) return metric.regression;
  return true;  // task not known yet: every metric
}

}  // namespace

RunSetupPanel::RunSetupPanel(QWidget* parent)
    : QWidget(parent),
      m_target(new QComboBox(this)),
      m_targetHint(new QLabel(this)),
      m_task(new QComboBox(this)),
      m_metric(new QComboBox(this)),
      m_budget(new QDoubleSpinBox(this)),
      m_maxTrials(new QSpinBox(this)),
      m_families(new QListWidget(this)),
      m_device(new QComboBox(this)),
      m_cv(new QSpinBox(this)),
      m_seed(new QSpinBox(this)),
      m_folder(new QLineEdit(this)),
      m_browse(new QPushButton(tr("Browse…"), this)),
      m_start(new QPushButton(tr("&Start"), this)),
      m_stop(new QPushButton(tr("S&top"), this)),
      m_resume(new QPushButton(tr("&Resume"), this)),
      m_spaceButton(new QPushButton(tr("Search s&pace…"), this)),
      m_spaceSummary(new QLabel(this)) {
  m_target->setObjectName(QStringLiteral("target"));
  m_target->setToolTip(tr("The column the models learn to predict."));
  m_target->setMinimumContentsLength(16);
  m_target->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  m_targetHint->setWordWrap(true);
  m_targetHint->setTextFormat(Qt::PlainText);
  m_targetHint->setAccessibleName(tr("Target check"));

  for (const QString& task : {QStringLiteral("auto"), QStringLiteral("binary"),
                              QStringLiteral("multiclass"), QStringLiteral("regression")}) {
    m_task->addItem(task);
    m_task->setItemData(m_task->count() - 1, taskTooltip(task), Qt::ToolTipRole);
  }
  m_task->setToolTip(tr("The kind of prediction; auto infers it from the target."));
  m_metric->setToolTip(tr("The score the search optimises; hover over a choice for what it measures."));

  m_budget->setRange(0.0, 7.0 * 24 * 3600);
  m_budget->setDecimals(0);
  m_budget->setSingleStep(30.0);
  m_budget->setSuffix(tr(" s"));
  m_budget->setSpecialValueText(tr("none"));
  m_budget->setValue(60.0);
  m_budget->setToolTip(tr("Wall-clock time for the search; the best model is refit after it."));
  m_maxTrials->setRange(0, 100000);
  m_maxTrials->setSpecialValueText(tr("none"));
  m_maxTrials->setValue(0);
  m_maxTrials->setToolTip(tr("Trials in total, including the baseline and one default per family."));

  for (const auto& name : engine::family_names()) {
    auto* item = new QListWidgetItem(QString::fromStdString(name), m_families);
    if (name == "constant") {
      item->setFlags(Qt::ItemIsEnabled);
      item->setCheckState(Qt::Checked);
      item->setToolTip(tr("The constant baseline is always run, so every candidate can be "
                          "compared with a guess."));
    } else {
      item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable | Qt::ItemIsSelectable);
      item->setCheckState(Qt::Checked);
      item->setToolTip(tr("Search over %1 models and their hyperparameters.")
                           .arg(QString::fromStdString(name)));
    }
  }
  m_families->setMaximumHeight(
      m_families->sizeHintForRow(0) * std::max(2, m_families->count()) + 2 * m_families->frameWidth() + 4);
  m_families->setAccessibleName(tr("Model families"));

  for (const QString& device : {QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda")}) {
    m_device->addItem(device);
  }
  m_device->setToolTip(tr("auto uses an NVIDIA GPU where a family supports one and falls back to "
                          "the CPU (an Issue says so); cuda fails without a GPU."));
  m_cv->setRange(1, 20);
  m_cv->setSpecialValueText(tr("auto"));
  m_cv->setValue(1);  // the minimum shows "auto"; one fold is not a cross-validation
  m_cv->setToolTip(tr("Cross-validation folds; auto chooses from the data size."));
  m_seed->setRange(0, std::numeric_limits<int>::max());
  m_seed->setToolTip(tr("Random seed: the same data, settings and seed give the same search."));
  m_folder->setToolTip(tr("Each run gets a new directory here (model/, leaderboard, run.json, search.db)."));
  m_folder->setText(defaultRunsFolder());

  auto* form = new QFormLayout;
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  form->addRow(tr("&Target:"), m_target);
  form->addRow(QString(), m_targetHint);
  form->addRow(tr("T&ask:"), m_task);
  form->addRow(tr("&Metric:"), m_metric);
  form->addRow(tr("Time &budget:"), m_budget);
  form->addRow(tr("Max tri&als:"), m_maxTrials);
  form->addRow(tr("Model &families:"), m_families);
  m_spaceButton->setToolTip(tr("Fix a hyperparameter or narrow its range for the chosen families."));
  m_spaceSummary->setAccessibleName(tr("Search space edits"));
  auto* spaceRow = new QHBoxLayout;
  spaceRow->addWidget(m_spaceButton);
  spaceRow->addWidget(m_spaceSummary, 1);
  form->addRow(QString(), spaceRow);
  form->addRow(tr("&Device:"), m_device);
  form->addRow(tr("&CV folds:"), m_cv);
  form->addRow(tr("S&eed:"), m_seed);
  auto* folderRow = new QHBoxLayout;
  folderRow->addWidget(m_folder, 1);
  folderRow->addWidget(m_browse);
  auto* folderLabel = new QLabel(tr("R&uns folder:"), this);
  folderLabel->setBuddy(m_folder);
  form->addRow(folderLabel, folderRow);

  m_start->setToolTip(tr("Start a new run with these settings (Ctrl+R)."));
  m_stop->setToolTip(tr("Stop the search; the trials that finished make the result."));
  m_resume->setToolTip(tr("Continue the last run's search in the same run directory."));
  m_start->setDefault(true);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_start);
  buttons->addWidget(m_stop);
  buttons->addWidget(m_resume);
  buttons->addStretch(1);

  auto* layout = new QVBoxLayout(this);
  auto* heading = new QLabel(tr("<b>Run settings</b>"), this);
  layout->addWidget(heading);
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addStretch(1);

  connect(m_start, &QPushButton::clicked, this, &RunSetupPanel::startRequested);
  connect(m_stop, &QPushButton::clicked, this, &RunSetupPanel::stopRequested);
  connect(m_resume, &QPushButton::clicked, this, &RunSetupPanel::resumeRequested);
  connect(m_browse, &QPushButton::clicked, this, [this] {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Runs folder"), m_folder->text());
    if (!folder.isEmpty()) m_folder->setText(folder);
  });
  connect(m_target, &QComboBox::currentIndexChanged, this, &RunSetupPanel::onTargetChanged);
  connect(m_task, &QComboBox::currentIndexChanged, this, [this] {
    updateMetrics();
    changed();
  });
  connect(m_metric, &QComboBox::currentIndexChanged, this, [this] {
    if (!m_restoring && m_metric->currentIndex() >= 0) m_savedMetric = m_metric->currentText();
    changed();
  });
  connect(m_budget, &QDoubleSpinBox::valueChanged, this, &RunSetupPanel::changed);
  connect(m_maxTrials, &QSpinBox::valueChanged, this, &RunSetupPanel::changed);
  connect(m_families, &QListWidget::itemChanged, this, &RunSetupPanel::changed);
  connect(m_device, &QComboBox::currentIndexChanged, this, &RunSetupPanel::changed);
  connect(m_cv, &QSpinBox::valueChanged, this, &RunSetupPanel::changed);
  connect(m_seed, &QSpinBox::valueChanged, this, &RunSetupPanel::changed);
  connect(m_folder, &QLineEdit::textChanged, this, &RunSetupPanel::changed);
  connect(m_spaceButton, &QPushButton::clicked, this, &RunSetupPanel::editSearchSpace);

  loadSettings();
  setDataset(nullptr);
  setRunState(false, false);
}

QString RunSetupPanel::defaultRunsFolder() {
  const QString base = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
  return QDir(base.isEmpty() ? QDir::homePath() : base).filePath(QStringLiteral("runs"));
}

void RunSetupPanel::setDataset(std::shared_ptr<const LoadedDataset> dataset) {
  m_dataset = std::move(dataset);
  m_columnTypes.clear();  // type overrides belong to a file
  m_restoring = true;
  m_target->clear();
  if (m_dataset) {
    for (const auto& column : m_dataset->table->columns()) {
      m_target->addItem(QString::fromStdString(column.name()));
    }
  }
  m_restoring = false;
  // The remembered target when this file has it, else the last column (a common place for it).
  int index = m_savedTarget.isEmpty() ? -1 : m_target->findText(m_savedTarget);
  if (index < 0) index = m_target->count() - 1;
  m_target->setEnabled(m_target->count() > 0);
  if (m_target->currentIndex() == index) {
    onTargetChanged();
  } else {
    m_target->setCurrentIndex(index);  // onTargetChanged() follows
  }
  if (!m_dataset) m_targetHint->setText(tr("Open a CSV file to choose the target."));
}

void RunSetupPanel::onTargetChanged() {
  m_inferredTask.clear();
  m_targetOk = false;
  const QString name = m_target->currentText();
  if (m_dataset && !name.isEmpty()) {
    if (!m_restoring) m_savedTarget = name;
    if (m_dataset->table->rows() > kMaxRowsToAnalyze) {
      m_targetOk = true;
      m_targetHint->setText(tr("The task is inferred when the run starts."));
    } else {
      try {
        const data::TargetSummary summary = data::analyze_target(*m_dataset->table, name.toStdString());
        m_inferredTask = QString::fromLatin1(data::to_string(summary.task).data(),
                                             static_cast<qsizetype>(data::to_string(summary.task).size()));
        m_targetOk = true;
        QString text = m_inferredTask == QStringLiteral("regression")
                           ? tr("Looks like regression.")
                           : tr("Looks like %1 classification: %2 classes, the smallest %3%.")
                                 .arg(m_inferredTask)
                                 .arg(summary.classes.size())
                                 .arg(QString::number(summary.minority_share * 100.0, 'f', 1));
        if (summary.missing > 0) {
          text += tr(" %1 rows without a target will be dropped.").arg(summary.missing);
        }
        m_targetHint->setText(text);
      } catch (const std::exception& error) {
        m_targetHint->setText(tr("This target cannot be used: %1").arg(QString::fromUtf8(error.what())));
      }
    }
  }
  // The hint is part of the check, so it is told apart by words and not by colour alone.
  m_targetHint->setStyleSheet(m_targetOk || !m_dataset ? QString() : QStringLiteral("color: #D55E00"));
  updateMetrics();
  changed();
}

QString RunSetupPanel::effectiveTask() const {
  const QString task = m_task->currentText();
  return task == QStringLiteral("auto") ? m_inferredTask : task;
}

void RunSetupPanel::updateMetrics() {
  const QString task = effectiveTask();
  const QString keep = m_savedMetric.isEmpty() ? m_metric->currentText() : m_savedMetric;
  const bool wasRestoring = m_restoring;
  m_restoring = true;
  m_metric->clear();
  m_metric->addItem(QStringLiteral("auto"));
  QString defaultName;
  if (task == QStringLiteral("binary")) defaultName = QStringLiteral("roc_auc");
  if (task == QStringLiteral("multiclass")) defaultName = QStringLiteral("log_loss");
  if (task == QStringLiteral("regression")) defaultName = QStringLiteral("rmse");
  m_metric->setItemData(0,
                        defaultName.isEmpty()
                            ? tr("The task's default: roc_auc (binary), log_loss (multiclass), rmse (regression).")
                            : tr("The task's default, %1.").arg(defaultName),
                        Qt::ToolTipRole);
  for (const auto& metric : metrics::registry()) {
    if (!metricApplies(metric, task)) continue;
    m_metric->addItem(QString::fromStdString(metric.name));
    m_metric->setItemData(m_metric->count() - 1, QString::fromStdString(metric.description), Qt::ToolTipRole);
  }
  const int index = m_metric->findText(keep);
  m_metric->setCurrentIndex(index >= 0 ? index : 0);
  m_restoring = wasRestoring;
}

void RunSetupPanel::changed() {
  if (!m_restoring) saveSettings();
}

void RunSetupPanel::setRunState(bool running, bool canResume) {
  m_start->setEnabled(!running);
  m_stop->setEnabled(running);
  m_resume->setEnabled(!running && canResume);
}

std::optional<engine::RunSettings> RunSetupPanel::runSettings(QString* error) const {
  auto fail = [error](const QString& message) -> std::optional<engine::RunSettings> {
    if (error) *error = message;
    return std::nullopt;
  };
  if (!m_dataset) return fail(tr("No data is loaded; open a CSV file first (File ▸ Open…)."));
  if (m_target->currentText().isEmpty()) return fail(tr("No target is chosen; choose the column to predict."));
  if (m_folder->text().trimmed().isEmpty()) {
    return fail(tr("No runs folder is set; choose a folder for the run directories."));
  }
  engine::RunSettings settings;
  settings.data = std::filesystem::path(QFile::encodeName(m_dataset->path).toStdString());
  settings.target = m_target->currentText().toStdString();
  settings.task = m_task->currentText().toStdString();
  settings.metric = m_metric->currentIndex() >= 0 ? m_metric->currentText().toStdString() : "auto";
  if (m_budget->value() > 0.0) settings.time_budget_s = m_budget->value();
  if (m_maxTrials->value() > 0) settings.max_trials = m_maxTrials->value();
  if (m_cv->value() >= 2) settings.cv = m_cv->value();
  settings.seed = static_cast<std::uint64_t>(m_seed->value());
  settings.device = m_device->currentText().toStdString();
  for (const QString& family : families()) settings.models.push_back(family.toStdString());
  settings.column_types = m_columnTypes;
  settings.space = m_space;
  return settings;
}

QString RunSetupPanel::runsFolder() const { return m_folder->text().trimmed(); }

bool RunSetupPanel::setTarget(const QString& name) {
  const int index = m_target->findText(name);
  if (index < 0) return false;
  m_target->setCurrentIndex(index);
  return true;
}

QString RunSetupPanel::target() const { return m_target->currentText(); }

void RunSetupPanel::setTask(const QString& task) {
  const int index = m_task->findText(task);
  if (index >= 0) m_task->setCurrentIndex(index);
}

bool RunSetupPanel::setMetric(const QString& metric) {
  const int index = m_metric->findText(metric);
  if (index < 0) return false;
  m_metric->setCurrentIndex(index);
  return true;
}

void RunSetupPanel::setColumnTypes(const std::map<std::string, std::string>& types) { m_columnTypes = types; }

bool RunSetupPanel::setSearchSpace(const nlohmann::ordered_json& space, QString* error) {
  nlohmann::ordered_json checked;
  try {
    checked = engine::check_space_edits(space);
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
  const bool edited = checked != m_space;
  m_space = std::move(checked);
  m_spaceSummary->setText(searchSpaceSummary());
  if (edited) {
    changed();
    emit searchSpaceEdited(QString::fromStdString(m_space.dump()));
  }
  return true;
}

QString RunSetupPanel::searchSpaceSummary() const {
  int count = 0;
  for (const auto& [family, params] : m_space.items()) count += static_cast<int>(params.size());
  return count == 0 ? tr("default ranges") : tr("%n parameter(s) edited", nullptr, count);
}

void RunSetupPanel::editSearchSpace() {
  SearchSpaceDialog dialog(families(), m_space, this);
  if (dialog.exec() == QDialog::Accepted && dialog.isValid()) setSearchSpace(dialog.edits());
}

void RunSetupPanel::setTimeBudget(double seconds) { m_budget->setValue(seconds); }
void RunSetupPanel::setMaxTrials(int trials) { m_maxTrials->setValue(trials); }
void RunSetupPanel::setCvFolds(int folds) { m_cv->setValue(std::max(1, folds)); }
void RunSetupPanel::setRunsFolder(const QString& folder) { m_folder->setText(folder); }

void RunSetupPanel::setFamilies(const QStringList& families) {
  for (int i = 0; i < m_families->count(); ++i) {
    QListWidgetItem* item = m_families->item(i);
    if (!(item->flags() & Qt::ItemIsUserCheckable)) continue;  // the constant baseline
    item->setCheckState(families.contains(item->text()) ? Qt::Checked : Qt::Unchecked);
  }
}

QStringList RunSetupPanel::families() const {
  QStringList checked;
  for (int i = 0; i < m_families->count(); ++i) {
    if (m_families->item(i)->checkState() == Qt::Checked) checked << m_families->item(i)->text();
  }
  return checked;
}

QStringList RunSetupPanel::metricChoices() const {
  QStringList names;
  for (int i = 0; i < m_metric->count(); ++i) names << m_metric->itemText(i);
  return names;
}

QString RunSetupPanel::targetHint() const { return m_targetHint->text(); }

void RunSetupPanel::loadSettings() {
  QSettings settings;
  settings.beginGroup(kGroup);
  m_restoring = true;
  setTask(settings.value(QStringLiteral("task"), QStringLiteral("auto")).toString());
  m_savedMetric = settings.value(QStringLiteral("metric"), QStringLiteral("auto")).toString();
  m_savedTarget = settings.value(QStringLiteral("target")).toString();
  m_budget->setValue(settings.value(QStringLiteral("timeBudget"), 60.0).toDouble());
  m_maxTrials->setValue(settings.value(QStringLiteral("maxTrials"), 0).toInt());
  if (settings.contains(QStringLiteral("families"))) {
    setFamilies(settings.value(QStringLiteral("families")).toStringList());
  }
  const int device = m_device->findText(settings.value(QStringLiteral("device"), QStringLiteral("auto")).toString());
  m_device->setCurrentIndex(std::max(0, device));
  m_cv->setValue(settings.value(QStringLiteral("cv"), 1).toInt());
  m_seed->setValue(settings.value(QStringLiteral("seed"), 0).toInt());
  m_folder->setText(settings.value(QStringLiteral("runsFolder"), defaultRunsFolder()).toString());
  // Space edits this Glasswing refuses (an older version's parameter) are dropped.
  m_space = nlohmann::ordered_json::object();
  const auto storedSpace = nlohmann::ordered_json::parse(
      settings.value(QStringLiteral("space"), QStringLiteral("{}")).toString().toStdString(), nullptr, false);
  try {
    if (!storedSpace.is_discarded()) m_space = engine::check_space_edits(storedSpace);
  } catch (const std::exception&) {
  }
  m_spaceSummary->setText(searchSpaceSummary());
  settings.endGroup();
  updateMetrics();
  m_restoring = false;
}

void RunSetupPanel::saveSettings() const {
  QSettings settings;
  settings.beginGroup(kGroup);
  settings.setValue(QStringLiteral("task"), m_task->currentText());
  settings.setValue(QStringLiteral("metric"), m_savedMetric.isEmpty() ? m_metric->currentText() : m_savedMetric);
  if (!m_savedTarget.isEmpty()) settings.setValue(QStringLiteral("target"), m_savedTarget);
  settings.setValue(QStringLiteral("timeBudget"), m_budget->value());
  settings.setValue(QStringLiteral("maxTrials"), m_maxTrials->value());
  settings.setValue(QStringLiteral("families"), families());
  settings.setValue(QStringLiteral("device"), m_device->currentText());
  settings.setValue(QStringLiteral("cv"), m_cv->value());
  settings.setValue(QStringLiteral("seed"), m_seed->value());
  settings.setValue(QStringLiteral("runsFolder"), m_folder->text());
  settings.setValue(QStringLiteral("space"), QString::fromStdString(m_space.dump()));
  settings.endGroup();
}

}  // namespace glasswing::studio
