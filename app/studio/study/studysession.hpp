#pragma once
// StudySession: one participant's session in a study database (docs/STUDIES.md), as the Studio
// uses it. open() checks everything before study mode starts: the participant id is pseudonymous,
// the file is a study database and its hash chain verifies (studies::read_study), then it starts
// (or, after a crash left one open, closes as "aborted" and restarts) the participant's session.
// The tasks the participant already decided in earlier sessions count as done, so a later
// session continues with the next task of their order.
//
// Logging never waits on the disk: log() validates nothing itself and returns at once; a writer
// thread appends the events in order through studies::StudyLog (each a small fsynced SQLite
// transaction) and reports a failure through logFailed() on the GUI thread. end() queues
// session_end and waits for the queue to drain. Measured write times are kept (maxWriteMs).

#include <QObject>
#include <QString>
#include <QStringList>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "studies/protocol.hpp"
#include "studies/study_log.hpp"

namespace glasswing::studio {

class StudySession : public QObject {
  Q_OBJECT

 public:
  // nullptr with `error` set (one line naming the file or the id, and the remedy) when study mode
  // cannot start. `clientFields` may hold session_start's locale and screen_px.
  static std::unique_ptr<StudySession> open(const QString& studyPath, const QString& participantId,
                                            const nlohmann::json& clientFields, QString* error);
  ~StudySession() override;

  const studies::Protocol& protocol() const;
  const studies::Condition& condition() const;
  const studies::SessionInfo& info() const { return m_info; }
  QString studyPath() const { return m_path; }
  QString participantId() const { return QString::fromStdString(m_info.participant_id); }
  QString sessionId() const { return QString::fromStdString(m_info.session_id); }
  // Task ids this participant decided in earlier sessions (in the log before this session).
  QStringList tasksDoneBefore() const { return m_doneBefore; }
  // True when the participant agreed to the protocol's consent version in an earlier session (a
  // `consent` event with agreed = true and this version): the form is not shown again.
  bool consentedBefore() const { return m_consentedBefore; }
  // Milliseconds opening took (verify + start_session), for the docs' numbers.
  double openMs() const { return m_openMs; }

  // Queues one event of `kind` for this session; returns at once.
  void log(const std::string& kind, nlohmann::json payload);
  // Queues session_end with `reason` and waits until every queued event is written. Idempotent.
  void end(const std::string& reason);
  bool ended() const { return m_ended; }
  // Waits until the queue is empty (for tests); false when `timeoutMs` passed first.
  bool flush(int timeoutMs = 10000);

  // Longest single append so far and how many were written (writer thread's measurements).
  double maxWriteMs() const;
  long long writes() const;

 signals:
  void logFailed(const QString& message);

 private:
  StudySession() = default;
  void writerLoop();

  QString m_path;
  std::unique_ptr<studies::StudyLog> m_log;
  studies::SessionInfo m_info;
  const studies::Condition* m_condition = nullptr;
  QStringList m_doneBefore;
  double m_openMs = 0.0;
  bool m_consentedBefore = false;
  bool m_ended = false;

  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  std::condition_variable m_idle;
  std::deque<std::pair<std::string, nlohmann::json>> m_queue;
  bool m_busy = false;
  bool m_stop = false;
  double m_maxWriteMs = 0.0;
  long long m_writes = 0;
  std::thread m_writer;
};

}  // namespace glasswing::studio
