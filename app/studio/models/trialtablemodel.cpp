#include "models/trialtablemodel.hpp"

#include <QBrush>
#include <QColor>
#include <cmath>

#include "palette.hpp"

namespace glasswing::studio {
namespace {

QString scoreText(double value) {
  return std::isfinite(value) ? QString::number(value, 'f', 4) : QStringLiteral("—");
}

QVariant scoreSort(double value) { return std::isfinite(value) ? QVariant(value) : QVariant(); }

}  // namespace

TrialTableModel::TrialTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void TrialTableModel::append(const std::vector<engine::TrialEvent>& trials) {
  if (trials.empty()) return;
  const int first = rowCount();
  beginInsertRows({}, first, first + static_cast<int>(trials.size()) - 1);
  m_trials.insert(m_trials.end(), trials.begin(), trials.end());
  endInsertRows();
}

void TrialTableModel::clear() {
  beginResetModel();
  m_trials.clear();
  endResetModel();
}

int TrialTableModel::failedCount() const {
  int failed = 0;
  for (const auto& trial : m_trials) failed += trial.state == "FAIL" ? 1 : 0;
  return failed;
}

int TrialTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_trials.size());
}

int TrialTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant TrialTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= rowCount()) return {};
  const engine::TrialEvent& trial = m_trials[static_cast<std::size_t>(index.row())];
  const bool failed = trial.state == "FAIL";
  switch (role) {
    case Qt::DisplayRole:
      switch (index.column()) {
        case Number: return static_cast<qlonglong>(trial.number);
        case State: return QString::fromStdString(trial.state);
        case Family: return QString::fromStdString(trial.family);
        case Value: return scoreText(trial.value);
        case Sd: return trial.state == "COMPLETE" ? scoreText(trial.sd) : QStringLiteral("—");
        case Best:
          return trial.best_number >= 0
                     ? tr("%1 (trial %2)").arg(scoreText(trial.best_value)).arg(trial.best_number)
                     : QStringLiteral("—");
        case Elapsed: return QStringLiteral("%1 s").arg(QString::number(trial.elapsed_s, 'f', 1));
        case FailReason: return QString::fromStdString(trial.fail_reason);
        default: return {};
      }
    case SortRole:
      switch (index.column()) {
        case Number: return static_cast<qlonglong>(trial.number);
        case State: return QString::fromStdString(trial.state);
        case Family: return QString::fromStdString(trial.family);
        case Value: return scoreSort(trial.value);
        case Sd: return trial.state == "COMPLETE" ? scoreSort(trial.sd) : QVariant();
        case Best: return scoreSort(trial.best_value);
        case Elapsed: return trial.elapsed_s;
        case FailReason: return QString::fromStdString(trial.fail_reason);
        default: return {};
      }
    case Qt::ForegroundRole:
      return failed && index.column() == State ? QVariant(QBrush(palette::warning())) : QVariant();
    case Qt::ToolTipRole:
      return index.column() == FailReason && !trial.fail_reason.empty()
                 ? QVariant(QString::fromStdString(trial.fail_reason))
                 : QVariant();
    case Qt::TextAlignmentRole:
      return index.column() == State || index.column() == Family || index.column() == FailReason
                 ? QVariant(int(Qt::AlignLeft | Qt::AlignVCenter))
                 : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    default: return {};
  }
}

QVariant TrialTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return QAbstractTableModel::headerData(section, orientation, role);
  if (role == Qt::DisplayRole) {
    switch (section) {
      case Number: return tr("Trial");
      case State: return tr("State");
      case Family: return tr("Family");
      case Value: return tr("CV score");
      case Sd: return tr("± sd");
      case Best: return tr("Best so far");
      case Elapsed: return tr("Elapsed");
      case FailReason: return tr("Why it failed");
      default: return {};
    }
  }
  if (role == Qt::ToolTipRole) {
    switch (section) {
      case Number: return tr("The trial's number in the search, from 0.");
      case State: return tr("COMPLETE, FAIL (the fit failed; the reason is shown) or PRUNED.");
      case Family: return tr("The model family the trial tried.");
      case Value: return tr("The trial's mean cross-validated score.");
      case Sd: return tr("Standard deviation of the trial's score across folds.");
      case Best: return tr("The best score of the search when this trial finished.");
      case Elapsed: return tr("Time since the run started when the trial finished.");
      case FailReason: return tr("The engine's reason for a failed trial.");
      default: return {};
    }
  }
  return {};
}

}  // namespace glasswing::studio
