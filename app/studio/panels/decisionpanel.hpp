#pragma once
// DecisionPanel (PRODUCT.md P11): after a run has finished, the user decides about its chosen
// model: deploy, reject or defer, with willingness to deploy and confidence on a rating scale
// (1-7 unless a study protocol says otherwise) and a free-text rationale.
//
// - Enabled once a run has finished (setRun); a new run disables it again (clearRun).
// - Deploy exports the run's bundle (a copy of RUN_DIR/model/) and its report.html into a folder
//   the user chooses (exportDeployment, on a worker thread: rendering a missing report takes
//   seconds). A folder that is not empty is never written silently: the user is asked first, and
//   then only model/ and report.html in it are replaced. Reject and defer only record.
// - Every decision is saved beside the run as RUN_DIR/decision.json (QSaveFile: written to a
//   temporary file and renamed, so a reader never sees half of it; the latest decision wins) and
//   announced by decided(); study mode logs it as the studies/ `decision` event.

#include <QElapsedTimer>
#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QWidget>
#include <memory>
#include <optional>

QT_BEGIN_NAMESPACE
class QButtonGroup;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QRadioButton;
QT_END_NAMESPACE

namespace glasswing::transparency {
struct RunInsights;
}

namespace glasswing::studio {

class LikertScale;

// What exportDeployment() did.
struct DeployResult {
  bool ok = false;
  bool folderNotEmpty = false;  // refused: the folder holds files and overwriting was not allowed
  QString message;              // one line: what went wrong and the remedy (empty when ok)
  QString modelDirectory;       // FOLDER/model
  QString reportPath;           // FOLDER/report.html
  QString modelSha256;          // of FOLDER/model/manifest.json (which names every bundle file)
  QString reportSha256;         // of FOLDER/report.html
  bool reportRendered = false;  // the run had no report.html: it was rendered from its insights
};

// Copies RUN_DIR/model/ to FOLDER/model/ and RUN_DIR/report.html to FOLDER/report.html (rendered
// from `insights`, or from transparency::load_run_insights(RUN_DIR) when null, if the run has
// none). FOLDER is created when missing. When FOLDER is not empty and `replaceInNonEmptyFolder`
// is false nothing is written (folderNotEmpty). Each artifact is written under a temporary name
// and renamed into place. Safe to call from any thread.
DeployResult exportDeployment(const QString& runDirectory, const QString& folder,
                              const std::shared_ptr<const transparency::RunInsights>& insights,
                              bool replaceInNonEmptyFolder);

struct Decision {
  QString action;  // "deploy" | "reject" | "defer"
  int willingness = 0;
  int confidence = 0;
  int scaleMin = 1;
  int scaleMax = 7;
  QString rationale;
  QString candidateId;    // the candidate decided about ("best": the run's chosen model)
  QString runDirectory;
  qint64 msSinceRunEnd = -1;
  DeployResult deployment;  // deploy only
};

class DecisionPanel : public QWidget {
  Q_OBJECT

 public:
  explicit DecisionPanel(QWidget* parent = nullptr);
  ~DecisionPanel() override;

  // The rating scale of willingness and confidence (a study protocol's decision.scale).
  void setScale(int minimum, int maximum);
  // A run has finished: decisions are about it from now on (the clock for ms_since_run_end starts).
  void setRun(const QString& runDirectory);
  // A new run started (or none): the panel is disabled until the next setRun.
  void clearRun();
  QString runDirectory() const { return m_runDirectory; }
  bool isReady() const;  // a run is set and no export is in progress
  // The Insights tab's data for the run, used to render report.html when the run has none.
  void setInsights(std::shared_ptr<const transparency::RunInsights> insights);
  // Extra members written into decision.json (study mode: task, session).
  void setRecordContext(const QJsonObject& context) { m_context = context; }
  void setCandidateId(const QString& id) { m_candidateId = id; }

  // The form, for tests and scripts.
  bool setAction(const QString& action);  // deploy / reject / defer
  bool setWillingness(int value);
  bool setConfidence(int value);
  void setRationale(const QString& text);
  // Records the decision the form holds. Deploy exports into `exportFolder` first (asynchronously;
  // decided() or decisionFailed() follows); reject and defer record at once. false (with the
  // reason in decisionFailed() and the panel's message) when the form is incomplete.
  bool decide(const QString& exportFolder = {}, bool replaceInNonEmptyFolder = false);

  QString messageText() const;
  // Where the decision of a run is saved.
  static QString decisionFile(const QString& runDirectory);

 signals:
  void decided(const glasswing::studio::Decision& decision);
  void decisionFailed(const QString& message);

 private:
  void onRecordClicked();
  void finish(Decision decision);
  void fail(const QString& message);
  void updateState();
  std::optional<Decision> formDecision(QString* error) const;
  bool writeDecisionFile(const Decision& decision, QString* error) const;

  QLabel* m_heading = nullptr;
  QButtonGroup* m_actions = nullptr;
  LikertScale* m_willingness = nullptr;
  LikertScale* m_confidence = nullptr;
  QLabel* m_scaleNote = nullptr;
  QPlainTextEdit* m_rationale = nullptr;
  QPushButton* m_record = nullptr;
  QLabel* m_message = nullptr;
  QString m_runDirectory;
  QString m_candidateId = QStringLiteral("best");
  QJsonObject m_context;
  QElapsedTimer m_sinceRunEnd;
  std::shared_ptr<const transparency::RunInsights> m_insights;
  bool m_exporting = false;
};

}  // namespace glasswing::studio

Q_DECLARE_METATYPE(glasswing::studio::Decision)
