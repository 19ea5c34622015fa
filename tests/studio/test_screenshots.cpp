// glasswing-studio --open-run RUN_DIR --panel ID --screenshot FILE (helper F's slice): the
// command line that scripts/screenshots.sh uses for docs/screenshots/, on a short real run
// (iris, the constant baseline and xgboost) made by the engine here; and its bad inputs.
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "automl/engine/run.hpp"

namespace {

struct Result {
  int code = -1;
  QString err;
};

Result studio(const QStringList& args) {
  QProcess p;
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
  p.setProcessEnvironment(env);
  p.start(QStringLiteral(GLASSWING_STUDIO_EXE), args);
  if (!p.waitForFinished(120000)) {
    p.kill();
    p.waitForFinished();
    return {};
  }
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromLocal8Bit(p.readAllStandardError())};
}

}  // namespace

class ScreenshotTests : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(m_dir.isValid());
    glasswing::engine::RunSettings s;
    s.data = GLASSWING_SHARED_DIR "/datasets/iris.csv";
    s.target = "species";
    s.models = {"constant", "xgboost"};
    s.max_trials = 2;
    s.out = m_dir.filePath(QStringLiteral("run")).toStdString();
    (void)glasswing::engine::run(s);
    QVERIFY(QFileInfo::exists(m_dir.filePath(QStringLiteral("run/run.json"))));
  }

  void openRunPanelScreenshot() {
    for (const QString& panel : {QStringLiteral("p2")}) {  // one page: each start reads the run again
      const QString png = m_dir.filePath(QStringLiteral("shot-%1.png").arg(panel));
      const Result r = studio({QStringLiteral("--open-run"), m_dir.filePath(QStringLiteral("run")), QStringLiteral("--panel"),
                               panel, QStringLiteral("--screenshot"), png, QStringLiteral("--size"),
                               QStringLiteral("1024x700")});
      QCOMPARE(r.code, 0);
      const QImage image(png);
      QVERIFY2(!image.isNull(), qPrintable(png));
      QCOMPARE(image.size(), QSize(1024, 700));
    }
  }

  void openRunBadInputs() {
    const QString run = m_dir.filePath(QStringLiteral("run"));
    const QString png = m_dir.filePath(QStringLiteral("bad.png"));
    const QString iris = QStringLiteral(GLASSWING_SHARED_DIR "/datasets/iris.csv");
    struct Case {
      QStringList args;
      int code;
      const char* says;
    };
    const std::vector<Case> cases = {
        {{QStringLiteral("--panel"), QStringLiteral("P1"), QStringLiteral("--screenshot"), png}, 2, "--panel needs --open-run"},
        {{QStringLiteral("--open-run"), run, QStringLiteral("--panel"), QStringLiteral("P12"), QStringLiteral("--screenshot"), png},
         2, "--panel must be one of P1..P11"},
        {{QStringLiteral("--open-run"), run, iris, QStringLiteral("--screenshot"), png}, 2, "without DATA and --run"},
        {{QStringLiteral("--open-run"), run, QStringLiteral("--panel"), QStringLiteral("P8"), QStringLiteral("--fairness-column"),
          QStringLiteral("sex"), QStringLiteral("--screenshot"), png},
         2, "--fairness-column goes with"},
        {{QStringLiteral("--open-run"), m_dir.filePath(QStringLiteral("no-such-run")), QStringLiteral("--panel"),
          QStringLiteral("P1"), QStringLiteral("--screenshot"), png},
         3, "no-such-run"},
    };
    for (const auto& c : cases) {
      const Result r = studio(c.args);
      QVERIFY2(r.code == c.code, qPrintable(c.args.join(QLatin1Char(' ')) + QStringLiteral(": exit %1, ").arg(r.code) + r.err));
      QVERIFY2(r.err.contains(QLatin1String(c.says)), qPrintable(r.err));
      // One line of ours (Qt itself may warn, e.g. about XDG_RUNTIME_DIR).
      QVERIFY2(r.err.count(QLatin1String("glasswing-studio:")) == 1, qPrintable(r.err));
    }
  }

 private:
  QTemporaryDir m_dir;
};

QTEST_MAIN(ScreenshotTests)
#include "test_screenshots.moc"
