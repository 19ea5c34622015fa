#pragma once
// Real engine runs shared by the entries of one test executable (each CTest entry is a process
// of its own): made once in a folder under the build tree and reused while their key matches.
//
// The key is the SHA-256 of the test executable (it links the engine and transparency
// statically, so a change to either, or to the test, changes it), of the input files and of a
// line describing the settings. A folder without the key stamp, or with another key, is emptied
// and made again; the stamp is written (atomically) only after every run finished, so a run
// interrupted half-way is never reused. A lock file in the folder keeps entries started at once
// (ctest -j) from making the same runs twice: the others wait and reuse them.

#include <QByteArray>
#include <QByteArrayView>
#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QSaveFile>
#include <QString>
#include <QStringList>

#include <functional>

namespace studio_test {

// "" when a file cannot be read (the runs are then never reused).
inline QByteArray runCacheKey(const QStringList& inputs, const QString& settings) {
  QCryptographicHash hash(QCryptographicHash::Sha256);
  for (const QString& path : QStringList{QCoreApplication::applicationFilePath()} + inputs) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly) || !hash.addData(&file)) return {};
    hash.addData(QByteArrayView("\n"));
  }
  hash.addData(settings.toUtf8());
  return hash.result().toHex();
}

// The folder for an executable's cached runs: `environment` when set (CTest sets it to a folder
// of the build tree), else `name` beside the executable.
inline QString runCacheFolder(const char* environment, const QString& name) {
  const QString folder = qEnvironmentVariable(environment);
  return folder.isEmpty() ? QDir(QCoreApplication::applicationDirPath()).filePath(name) : folder;
}

// Leaves in `folder` the runs `make` writes there, made now or by an earlier process with the same
// `key` (`reused` says which). `make` returns false with `error` set when a run fails; so does
// this, and then nothing is stamped. `fresh` forces making them again.
inline bool cachedRuns(const QString& folder, const QByteArray& key, const std::function<bool(QString*)>& make,
                       QString* error, bool* reused = nullptr, bool fresh = false) {
  if (reused != nullptr) *reused = false;
  if (!QDir().mkpath(folder)) {
    *error = QStringLiteral("cannot create the run cache folder %1").arg(folder);
    return false;
  }
  QDir dir(folder);
  QLockFile lock(dir.filePath(QStringLiteral(".lock")));
  // A lock whose process died is stale at once (QLockFile checks the pid); a live one after 15 min.
  lock.setStaleLockTime(15 * 60 * 1000);
  if (!lock.tryLock(600000)) {
    *error = QStringLiteral("the run cache %1 stayed locked for 10 minutes").arg(folder);
    return false;
  }
  const QString stamp = dir.filePath(QStringLiteral("key.txt"));
  if (!fresh && !key.isEmpty()) {
    QFile file(stamp);
    if (file.open(QIODevice::ReadOnly) && file.readAll().trimmed() == key) {
      if (reused != nullptr) *reused = true;
      return true;
    }
  }
  for (const QString& name : dir.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden)) {
    if (name.startsWith(QStringLiteral(".lock"))) continue;
    const QString path = dir.filePath(name);
    if (QFileInfo(path).isDir()) {
      QDir(path).removeRecursively();
    } else {
      QFile::remove(path);
    }
  }
  if (!make(error)) return false;
  if (key.isEmpty()) return true;
  QSaveFile out(stamp);
  if (!out.open(QIODevice::WriteOnly) || out.write(key + '\n') < 0 || !out.commit()) {
    *error = QStringLiteral("cannot write %1").arg(stamp);
    return false;
  }
  return true;
}

}  // namespace studio_test
