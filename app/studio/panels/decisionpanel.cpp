#include "panels/decisionpanel.hpp"

#include <QButtonGroup>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSaveFile>
#include <QSettings>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>

#include "panels/insightsdata.hpp"
#include "study/likertscale.hpp"
#include "transparency/report_html.hpp"

namespace glasswing::studio {
namespace {

const QString kLastDeployKey = QStringLiteral("lastDeployDirectory");
const char* const kActions[] = {"deploy", "reject", "defer"};

QString native(const QString& path) { return QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath()); }

QString sha256OfFile(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return {};
  QCryptographicHash hash(QCryptographicHash::Sha256);
  if (!hash.addData(&file)) return {};
  return QString::fromLatin1(hash.result().toHex());
}

// Copies the tree `from` into `to` (which must not exist); false with `error` set on failure.
bool copyTree(const QString& from, const QString& to, QString* error) {
  if (!QDir().mkpath(to)) {
    *error = QStringLiteral("cannot create %1; choose a writable folder").arg(native(to));
    return false;
  }
  QDirIterator it(from, QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden,
                  QDirIterator::Subdirectories);
  const QDir source(from);
  while (it.hasNext()) {
    const QString path = it.next();
    const QString target = QDir(to).filePath(source.relativeFilePath(path));
    if (it.fileInfo().isDir()) {
      if (!QDir().mkpath(target)) {
        *error = QStringLiteral("cannot create %1; choose a writable folder").arg(native(target));
        return false;
      }
    } else if (!QFile::copy(path, target)) {
      *error = QStringLiteral("cannot copy %1 to %2; check the disk space and permissions")
                   .arg(native(path), native(target));
      return false;
    }
  }
  return true;
}

QString temporarySibling(const QString& path) {
  return QStringLiteral("%1.tmp-%2").arg(path).arg(QDateTime::currentMSecsSinceEpoch());
}

}  // namespace

DeployResult exportDeployment(const QString& runDirectory, const QString& folder,
                              const std::shared_ptr<const transparency::RunInsights>& insights,
                              bool replaceInNonEmptyFolder) {
  DeployResult result;
  const QDir run(runDirectory);
  const QString modelSource = run.filePath(QStringLiteral("model"));
  if (runDirectory.isEmpty() || !QFileInfo(modelSource).isDir() ||
      !QFileInfo::exists(QDir(modelSource).filePath(QStringLiteral("manifest.json")))) {
    result.message = QStringLiteral("the run %1 has no model bundle (model/manifest.json); "
                                    "deploy a run that has finished")
                         .arg(runDirectory.isEmpty() ? QStringLiteral("(none)") : native(runDirectory));
    return result;
  }
  if (folder.isEmpty()) {
    result.message = QStringLiteral("no export folder was chosen; choose a folder to deploy into");
    return result;
  }
  const QFileInfo folderInfo(folder);
  if (folderInfo.exists() && !folderInfo.isDir()) {
    result.message = QStringLiteral("%1 is a file, not a folder; choose a folder to deploy into").arg(native(folder));
    return result;
  }
  const QDir out(folder);
  if (folderInfo.exists() && !out.isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden) &&
      !replaceInNonEmptyFolder) {
    result.folderNotEmpty = true;
    result.message = QStringLiteral("%1 is not empty; choose an empty folder or confirm replacing "
                                    "model/ and report.html in it")
                         .arg(native(folder));
    return result;
  }
  if (!QDir().mkpath(folder)) {
    result.message = QStringLiteral("cannot create %1; choose a writable folder").arg(native(folder));
    return result;
  }

  // The bundle: copied beside its final name, then swapped in.
  const QString modelTarget = out.filePath(QStringLiteral("model"));
  const QString modelTemporary = temporarySibling(modelTarget);
  QString error;
  if (!copyTree(modelSource, modelTemporary, &error)) {
    QDir(modelTemporary).removeRecursively();
    result.message = error;
    return result;
  }
  if (QFileInfo::exists(modelTarget) && !QDir(modelTarget).removeRecursively()) {
    QDir(modelTemporary).removeRecursively();
    result.message = QStringLiteral("cannot replace %1; close programs using it or choose another folder")
                         .arg(native(modelTarget));
    return result;
  }
  if (!QDir().rename(modelTemporary, modelTarget)) {
    QDir(modelTemporary).removeRecursively();
    result.message = QStringLiteral("cannot move the bundle into %1; choose a writable folder").arg(native(modelTarget));
    return result;
  }

  // The report: the run's own, or rendered from its insights (written to a temporary file and
  // renamed by write_report_html).
  const QString reportTarget = out.filePath(QStringLiteral("report.html"));
  const QString reportSource = run.filePath(QStringLiteral("report.html"));
  if (QFileInfo::exists(reportSource)) {
    const QString reportTemporary = temporarySibling(reportTarget);
    const bool copied = QFile::copy(reportSource, reportTemporary);
    if (copied && QFileInfo::exists(reportTarget)) QFile::remove(reportTarget);
    if (!copied || !QFile::rename(reportTemporary, reportTarget)) {
      QFile::remove(reportTemporary);
      result.message = QStringLiteral("cannot write %1; check the disk space and permissions").arg(native(reportTarget));
      return result;
    }
  } else {
    try {
      const std::filesystem::path target(QFile::encodeName(reportTarget).toStdString());
      if (insights) {
        transparency::write_report_html(*insights, target);
      } else {
        const auto loaded = transparency::load_run_insights(QFile::encodeName(runDirectory).toStdString(), {});
        transparency::write_report_html(loaded, target);
      }
      result.reportRendered = true;
    } catch (const std::exception& e) {
      result.message = QStringLiteral("the bundle was exported but report.html could not be written: %1")
                           .arg(QString::fromUtf8(e.what()));
      return result;
    }
  }
  result.modelDirectory = modelTarget;
  result.reportPath = reportTarget;
  result.modelSha256 = sha256OfFile(QDir(modelTarget).filePath(QStringLiteral("manifest.json")));
  result.reportSha256 = sha256OfFile(reportTarget);
  result.ok = true;
  return result;
}

DecisionPanel::DecisionPanel(QWidget* parent)
    : QWidget(parent),
      m_heading(new QLabel(this)),
      m_actions(new QButtonGroup(this)),
      m_willingness(new LikertScale(this)),
      m_confidence(new LikertScale(this)),
      m_scaleNote(new QLabel(this)),
      m_rationale(new QPlainTextEdit(this)),
      m_record(new QPushButton(tr("&Record Decision"), this)),
      m_message(new QLabel(this)) {
  m_heading->setWordWrap(true);
  m_heading->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* actionBox = new QGroupBox(tr("Decision"), this);
  auto* actionLayout = new QHBoxLayout(actionBox);
  const QString labels[] = {tr("&Deploy"), tr("Re&ject"), tr("De&fer")};
  const QString tips[] = {tr("Export the model bundle and its report to a folder you choose."),
                          tr("Record that this model should not be deployed."),
                          tr("Record that you would decide later (e.g. after more checks).")};
  for (int i = 0; i < 3; ++i) {
    auto* button = new QRadioButton(labels[i], actionBox);
    button->setObjectName(QString::fromLatin1(kActions[i]));
    button->setToolTip(tips[i]);
    m_actions->addButton(button, i);
    actionLayout->addWidget(button);
  }
  actionLayout->addStretch(1);

  auto* form = new QFormLayout;
  form->addRow(tr("&Willingness to deploy:"), m_willingness);
  form->addRow(tr("&Confidence in this decision:"), m_confidence);
  m_willingness->setToolTip(tr("How willing you are to deploy this model."));
  m_confidence->setToolTip(tr("How confident you are in the decision you record."));
  m_scaleNote->setWordWrap(true);
  form->addRow(QString(), m_scaleNote);
  m_rationale->setPlaceholderText(tr("Why? (optional) What made you decide this way?"));
  m_rationale->setTabChangesFocus(true);
  m_rationale->setMaximumHeight(120);
  form->addRow(tr("R&ationale:"), m_rationale);

  m_message->setWordWrap(true);
  m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_heading);
  layout->addWidget(actionBox);
  layout->addLayout(form);
  auto* buttons = new QHBoxLayout;
  buttons->addStretch(1);
  buttons->addWidget(m_record);
  layout->addLayout(buttons);
  layout->addWidget(m_message);
  layout->addStretch(1);

  connect(m_actions, &QButtonGroup::idClicked, this, [this] { updateState(); });
  connect(m_willingness, &LikertScale::valueChanged, this, [this] { updateState(); });
  connect(m_confidence, &LikertScale::valueChanged, this, [this] { updateState(); });
  connect(m_record, &QPushButton::clicked, this, &DecisionPanel::onRecordClicked);
  setScale(1, 7);
  clearRun();
}

DecisionPanel::~DecisionPanel() = default;

void DecisionPanel::setScale(int minimum, int maximum) {
  m_willingness->setScale(minimum, maximum);
  m_confidence->setScale(minimum, maximum);
  m_scaleNote->setText(tr("%1 = not at all, %2 = completely.").arg(minimum).arg(maximum));
  updateState();
}

void DecisionPanel::setRun(const QString& runDirectory) {
  m_runDirectory = runDirectory;
  m_sinceRunEnd.start();
  m_actions->setExclusive(false);
  for (auto* button : m_actions->buttons()) button->setChecked(false);
  m_actions->setExclusive(true);
  m_willingness->clear();
  m_confidence->clear();
  m_rationale->clear();
  m_message->clear();
  m_heading->setText(tr("Would you deploy the model of this run?\n%1").arg(native(runDirectory)));
  updateState();
}

void DecisionPanel::clearRun() {
  m_runDirectory.clear();
  m_insights.reset();
  m_sinceRunEnd.invalidate();
  m_heading->setText(tr("Decide once a run has finished: deploy its model, reject it, or defer."));
  updateState();
}

bool DecisionPanel::isReady() const { return !m_runDirectory.isEmpty() && !m_exporting; }

void DecisionPanel::setInsights(std::shared_ptr<const transparency::RunInsights> insights) {
  m_insights = std::move(insights);
}

bool DecisionPanel::setAction(const QString& action) {
  for (int i = 0; i < 3; ++i) {
    if (action == QLatin1String(kActions[i])) {
      m_actions->button(i)->setChecked(true);
      updateState();
      return true;
    }
  }
  return false;
}

bool DecisionPanel::setWillingness(int value) { return m_willingness->setValue(value); }
bool DecisionPanel::setConfidence(int value) { return m_confidence->setValue(value); }
void DecisionPanel::setRationale(const QString& text) { m_rationale->setPlainText(text); }
QString DecisionPanel::messageText() const { return m_message->text(); }

QString DecisionPanel::decisionFile(const QString& runDirectory) {
  return QDir(runDirectory).filePath(QStringLiteral("decision.json"));
}

void DecisionPanel::updateState() {
  const bool ready = isReady();
  for (auto* button : m_actions->buttons()) button->setEnabled(ready);
  m_willingness->setEnabled(ready);
  m_confidence->setEnabled(ready);
  m_rationale->setEnabled(ready);
  m_record->setEnabled(ready && m_actions->checkedId() >= 0 && m_willingness->value() &&
                       m_confidence->value());
  m_record->setText(m_actions->checkedId() == 0 ? tr("&Deploy…") : tr("&Record Decision"));
}

std::optional<Decision> DecisionPanel::formDecision(QString* error) const {
  if (m_runDirectory.isEmpty()) {
    *error = tr("No finished run to decide about; run a search first.");
    return std::nullopt;
  }
  const int id = m_actions->checkedId();
  if (id < 0) {
    *error = tr("Choose Deploy, Reject or Defer.");
    return std::nullopt;
  }
  if (!m_willingness->value() || !m_confidence->value()) {
    *error = tr("Rate both your willingness to deploy and your confidence.");
    return std::nullopt;
  }
  Decision d;
  d.action = QString::fromLatin1(kActions[id]);
  d.willingness = *m_willingness->value();
  d.confidence = *m_confidence->value();
  d.scaleMin = m_willingness->minimum();
  d.scaleMax = m_willingness->maximum();
  d.rationale = m_rationale->toPlainText().trimmed();
  d.candidateId = m_candidateId;
  d.runDirectory = m_runDirectory;
  d.msSinceRunEnd = m_sinceRunEnd.isValid() ? m_sinceRunEnd.elapsed() : -1;
  return d;
}

bool DecisionPanel::decide(const QString& exportFolder, bool replaceInNonEmptyFolder) {
  if (m_exporting) {
    fail(tr("An export is in progress; wait for it to finish."));
    return false;
  }
  QString error;
  std::optional<Decision> decision = formDecision(&error);
  if (!decision) {
    fail(error);
    return false;
  }
  if (decision->action != QLatin1String("deploy")) {
    finish(*decision);
    return true;
  }
  m_exporting = true;
  updateState();
  m_message->setText(tr("Exporting the model and its report to %1…").arg(native(exportFolder)));
  auto* watcher = new QFutureWatcher<DeployResult>(this);
  connect(watcher, &QFutureWatcher<DeployResult>::finished, this, [this, watcher, d = *decision]() mutable {
    watcher->deleteLater();
    m_exporting = false;
    d.deployment = watcher->result();
    updateState();
    if (!d.deployment.ok) {
      fail(tr("Could not deploy: %1").arg(d.deployment.message));
      return;
    }
    finish(d);
  });
  watcher->setFuture(QtConcurrent::run([run = m_runDirectory, exportFolder, insights = m_insights,
                                        replaceInNonEmptyFolder] {
    return exportDeployment(run, exportFolder, insights, replaceInNonEmptyFolder);
  }));
  return true;
}

void DecisionPanel::onRecordClicked() {
  if (m_actions->checkedId() != 0) {
    decide();
    return;
  }
  QSettings settings;
  const QString start = settings.value(kLastDeployKey, QDir::homePath()).toString();
  const QString folder = QFileDialog::getExistingDirectory(this, tr("Deploy into folder"), start);
  if (folder.isEmpty()) return;
  settings.setValue(kLastDeployKey, folder);
  bool replace = false;
  if (!QDir(folder).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden)) {
    const auto answer = QMessageBox::question(
        this, tr("Folder not empty"),
        tr("%1 is not empty. Replace model/ and report.html in it? Other files stay as they are.")
            .arg(native(folder)),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes) return;
    replace = true;
  }
  decide(folder, replace);
}

bool DecisionPanel::writeDecisionFile(const Decision& d, QString* error) const {
  QJsonObject doc = m_context;
  doc.insert(QStringLiteral("format"), QStringLiteral("glasswing-decision/1"));
  doc.insert(QStringLiteral("decided_utc"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
  doc.insert(QStringLiteral("action"), d.action);
  doc.insert(QStringLiteral("willingness"), d.willingness);
  doc.insert(QStringLiteral("confidence"), d.confidence);
  doc.insert(QStringLiteral("scale"), QJsonObject{{QStringLiteral("min"), d.scaleMin}, {QStringLiteral("max"), d.scaleMax}});
  doc.insert(QStringLiteral("rationale"), d.rationale);
  doc.insert(QStringLiteral("candidate_id"), d.candidateId);
  if (d.msSinceRunEnd >= 0) doc.insert(QStringLiteral("ms_since_run_end"), static_cast<double>(d.msSinceRunEnd));
  if (d.deployment.ok) {
    doc.insert(QStringLiteral("exported_to"),
               QJsonObject{{QStringLiteral("model"), QFileInfo(d.deployment.modelDirectory).absoluteFilePath()},
                           {QStringLiteral("model_manifest_sha256"), d.deployment.modelSha256},
                           {QStringLiteral("report"), QFileInfo(d.deployment.reportPath).absoluteFilePath()},
                           {QStringLiteral("report_sha256"), d.deployment.reportSha256}});
  }
  QSaveFile file(decisionFile(d.runDirectory));
  if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(doc).toJson(QJsonDocument::Indented)) < 0 ||
      !file.commit()) {
    *error = tr("Could not save %1: %2; check that the run folder is writable.")
                 .arg(native(decisionFile(d.runDirectory)), file.errorString());
    return false;
  }
  return true;
}

void DecisionPanel::finish(Decision decision) {
  QString error;
  if (!writeDecisionFile(decision, &error)) {
    fail(error);
    return;
  }
  if (decision.action == QLatin1String("deploy")) {
    m_message->setText(tr("Deployed: the bundle is in %1 and the report is %2.")
                           .arg(native(decision.deployment.modelDirectory), native(decision.deployment.reportPath)));
  } else {
    m_message->setText(tr("Recorded: %1 (willingness %2, confidence %3).")
                           .arg(decision.action)
                           .arg(decision.willingness)
                           .arg(decision.confidence));
  }
  emit decided(decision);
}

void DecisionPanel::fail(const QString& message) {
  m_message->setText(message);
  emit decisionFailed(message);
}

}  // namespace glasswing::studio
