#include "study/studysession.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMetaObject>

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <vector>

#include "studies/error.hpp"

namespace glasswing::studio {
namespace {

QString native(const QString& path) { return QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath()); }

}  // namespace

std::unique_ptr<StudySession> StudySession::open(const QString& studyPath, const QString& participantId,
                                                 const nlohmann::json& clientFields, QString* error) {
  const auto started = std::chrono::steady_clock::now();
  const QString shown = native(studyPath);
  if (!studies::is_valid_participant_id(participantId.toStdString())) {
    *error = QStringLiteral("'%1' is not a valid participant id: use a pseudonym of 1-64 letters, "
                            "digits, '_', '.' or '-' starting with a letter or digit (no names or "
                            "e-mail addresses)")
                 .arg(participantId);
    return nullptr;
  }
  if (!QFileInfo(studyPath).isFile()) {
    *error = QStringLiteral("%1 does not exist; give the study database made by "
                            "'glasswing study init'")
                 .arg(shown);
    return nullptr;
  }
  const std::filesystem::path path(QFile::encodeName(studyPath).toStdString());
  std::unique_ptr<StudySession> session(new StudySession);
  session->m_path = studyPath;
  try {
    // Refuse a log that does not verify before anything is appended to it.
    const studies::StudyData data = studies::read_study(path);
    if (!data.report.ok) {
      *error = QStringLiteral("%1 does not verify (%2); study mode needs an intact log: restore the "
                              "file from a backup and ask the researcher")
                   .arg(shown, QString::fromStdString(data.report.problem));
      return nullptr;
    }
    const std::string participant = participantId.toStdString();
    std::vector<std::string> agreedVersions;
    for (const auto& event : data.events) {
      if (event.participant_id != participant) continue;
      if (event.kind == "consent") {
        const auto payload = nlohmann::json::parse(event.payload, nullptr, false);
        if (payload.is_object() && payload.value("agreed", false) && payload.contains("consent_version") &&
            payload["consent_version"].is_string()) {
          agreedVersions.push_back(payload["consent_version"].get<std::string>());
        }
        continue;
      }
      if (event.kind != "decision") continue;
      const auto payload = nlohmann::json::parse(event.payload, nullptr, false);
      if (payload.is_object() && payload.contains("task_id") && payload["task_id"].is_string()) {
        const QString task = QString::fromStdString(payload["task_id"].get<std::string>());
        if (!session->m_doneBefore.contains(task)) session->m_doneBefore << task;
      }
    }
    session->m_log = std::make_unique<studies::StudyLog>(path);
    session->m_consentedBefore =
        std::find(agreedVersions.begin(), agreedVersions.end(), session->m_log->protocol().consent_version) !=
        agreedVersions.end();
    // A session left open by a crash is closed first, so that this one can start.
    if (const auto stale = session->m_log->open_session(participant)) {
      session->m_log->end_session(*stale, {{"reason", "aborted"}});
    }
    session->m_info = session->m_log->start_session(participant, clientFields);
    session->m_condition = session->m_log->protocol().find_condition(session->m_info.condition_id);
    if (session->m_condition == nullptr) {
      *error = QStringLiteral("%1: the participant's condition '%2' is not in the protocol")
                   .arg(shown, QString::fromStdString(session->m_info.condition_id));
      return nullptr;
    }
  } catch (const studies::StudyError& e) {
    *error = QStringLiteral("%1: %2").arg(shown, QString::fromUtf8(e.what()));
    return nullptr;
  } catch (const std::exception& e) {
    *error = QStringLiteral("%1 cannot be opened as a study: %2").arg(shown, QString::fromUtf8(e.what()));
    return nullptr;
  }
  session->m_openMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  session->m_writer = std::thread([s = session.get()] { s->writerLoop(); });
  return session;
}

StudySession::~StudySession() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_writer.joinable()) m_writer.join();
}

const studies::Protocol& StudySession::protocol() const { return m_log->protocol(); }
const studies::Condition& StudySession::condition() const { return *m_condition; }

void StudySession::log(const std::string& kind, nlohmann::json payload) {
  if (m_ended) return;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_queue.emplace_back(kind, std::move(payload));
  }
  m_wake.notify_one();
}

void StudySession::end(const std::string& reason) {
  if (m_ended) return;
  log("session_end", {{"reason", reason}});
  m_ended = true;
  flush(30000);
}

bool StudySession::flush(int timeoutMs) {
  std::unique_lock<std::mutex> lock(m_mutex);
  return m_idle.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                         [this] { return m_queue.empty() && !m_busy; });
}

double StudySession::maxWriteMs() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_maxWriteMs;
}

long long StudySession::writes() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_writes;
}

void StudySession::writerLoop() {
  std::unique_lock<std::mutex> lock(m_mutex);
  for (;;) {
    m_wake.wait(lock, [this] { return m_stop || !m_queue.empty(); });
    if (m_queue.empty()) {
      if (m_stop) return;
      continue;
    }
    auto [kind, payload] = std::move(m_queue.front());
    m_queue.pop_front();
    m_busy = true;
    lock.unlock();
    QString failure;
    const auto started = std::chrono::steady_clock::now();
    try {
      if (kind == "session_end") {
        m_log->end_session(m_info.session_id, payload);
      } else {
        m_log->log(m_info.session_id, kind, payload);
      }
    } catch (const std::exception& e) {
      failure = QStringLiteral("the study log did not record a %1 event: %2")
                    .arg(QString::fromStdString(kind), QString::fromUtf8(e.what()));
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (!failure.isEmpty()) {
      QMetaObject::invokeMethod(this, [this, failure] { emit logFailed(failure); }, Qt::QueuedConnection);
    }
    lock.lock();
    m_busy = false;
    if (failure.isEmpty()) {
      ++m_writes;
      if (ms > m_maxWriteMs) m_maxWriteMs = ms;
    }
    if (m_queue.empty()) m_idle.notify_all();
  }
}

}  // namespace glasswing::studio
