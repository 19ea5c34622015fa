#include "models/leaderboardmodel.hpp"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <cmath>
#include <exception>

#include "automl/metrics/metrics.hpp"

namespace glasswing::studio {
namespace {

QString scoreText(double value) {
  return std::isfinite(value) ? QString::number(value, 'f', 4) : QStringLiteral("—");
}

QString secondsText(double seconds) {
  if (!std::isfinite(seconds)) return QStringLiteral("—");
  if (seconds < 0.001) return QStringLiteral("%1 µs").arg(QString::number(seconds * 1e6, 'f', 0));
  if (seconds < 1.0) return QStringLiteral("%1 ms").arg(QString::number(seconds * 1e3, 'f', 1));
  return QStringLiteral("%1 s").arg(QString::number(seconds, 'f', 2));
}

// "max_depth=6, eta=0.3": the family's hyperparameters as the engine stored them; an ensemble's
// row lists its members ("trial 3 (xgboost) ×0.50, …") instead of their JSON.
QString paramsText(const nlohmann::ordered_json& params) {
  QStringList parts;
  if (params.is_array()) {
    for (const auto& member : params) {
      if (!member.is_object()) continue;
      const auto trial = member.value("trial", nlohmann::ordered_json());
      const auto family = member.value("family", nlohmann::ordered_json());
      const auto weight = member.value("weight", nlohmann::ordered_json());
      QString text = trial.is_number() ? QStringLiteral("trial %1").arg(trial.get<long long>()) : QStringLiteral("?");
      if (family.is_string()) text += QStringLiteral(" (%1)").arg(QString::fromStdString(family.get<std::string>()));
      if (weight.is_number()) text += QStringLiteral(" ×%1").arg(QString::number(weight.get<double>(), 'f', 2));
      parts << text;
    }
  } else if (params.is_object()) {
    for (const auto& [name, value] : params.items()) {
      const QString text = value.is_number_float() ? QString::number(value.get<double>(), 'g', 4)
                                                   : QString::fromStdString(value.dump());
      parts << QStringLiteral("%1=%2").arg(QString::fromStdString(name), text);
    }
  }
  return parts.isEmpty() ? QStringLiteral("—") : parts.join(QStringLiteral(", "));
}

bool isBaseline(const engine::LeaderboardRow& row) { return row.family == "constant"; }

}  // namespace

LeaderboardModel::LeaderboardModel(QObject* parent) : QAbstractTableModel(parent) {}

void LeaderboardModel::setResult(const std::vector<engine::LeaderboardRow>& rows,
                                 const QString& metric, bool maximize) {
  beginResetModel();
  m_rows = rows;
  m_metric = metric;
  m_maximize = maximize;
  m_metricDescription.clear();
  try {
    m_metricDescription = QString::fromStdString(metrics::info(metric.toStdString()).description);
  } catch (const std::exception&) {
    // An unknown metric name only loses its tooltip.
  }
  endResetModel();
  emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
}

void LeaderboardModel::clear() {
  beginResetModel();
  m_rows.clear();
  endResetModel();
}

int LeaderboardModel::baselineRow() const {
  for (std::size_t i = 0; i < m_rows.size(); ++i) {
    if (isBaseline(m_rows[i])) return static_cast<int>(i);
  }
  return -1;
}

int LeaderboardModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int LeaderboardModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant LeaderboardModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= rowCount()) return {};
  const engine::LeaderboardRow& row = m_rows[static_cast<std::size_t>(index.row())];
  const bool baseline = isBaseline(row);
  switch (role) {
    case BaselineRole: return baseline;
    case Qt::FontRole: {
      if (!baseline) return {};
      QFont font;
      font.setItalic(true);
      return font;
    }
    case Qt::BackgroundRole:
      // A light tint of the palette's sky blue, readable in light themes and by colour-blind users.
      return baseline ? QVariant(QBrush(QColor(0xE4, 0xF2, 0xFB))) : QVariant();
    case Qt::ForegroundRole: return baseline ? QVariant(QBrush(QColor(0x20, 0x20, 0x20))) : QVariant();
    case Qt::TextAlignmentRole:
      return index.column() == Family || index.column() == Params
                 ? QVariant(int(Qt::AlignLeft | Qt::AlignVCenter))
                 : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    case Qt::ToolTipRole:
      if (baseline) {
        return tr("The constant baseline: it always predicts the training data's class frequencies "
                  "(or mean). A candidate that does not beat it has learned nothing.");
      }
      if (index.column() == Params) return paramsText(row.params);
      return {};
    case SortRole:
      switch (index.column()) {
        case Rank: return row.rank;
        case Trial: return static_cast<qlonglong>(row.trial);
        case Family: return QString::fromStdString(row.family);
        case CvMean: return row.cv_mean;
        case CvSd: return row.cv_sd;
        case Test: return row.test_score ? QVariant(*row.test_score) : QVariant();
        case FitSeconds: return row.fit_s;
        case PredictSeconds: return row.predict_s;
        case Params: return paramsText(row.params);
        default: return {};
      }
    case Qt::DisplayRole:
      switch (index.column()) {
        case Rank: return row.rank;
        case Trial: return static_cast<qlonglong>(row.trial);
        case Family:
          return baseline ? tr("%1 (baseline)").arg(QString::fromStdString(row.family))
                          : QString::fromStdString(row.family);
        case CvMean: return scoreText(row.cv_mean);
        case CvSd: return scoreText(row.cv_sd);
        case Test: return row.test_score ? scoreText(*row.test_score) : QStringLiteral("—");
        case FitSeconds: return secondsText(row.fit_s);
        case PredictSeconds: return secondsText(row.predict_s);
        case Params: return paramsText(row.params);
        default: return {};
      }
    default: return {};
  }
}

QVariant LeaderboardModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return QAbstractTableModel::headerData(section, orientation, role);
  const QString metric = m_metric.isEmpty() ? tr("score") : m_metric;
  const QString direction = m_maximize ? tr("higher is better") : tr("lower is better");
  if (role == Qt::DisplayRole) {
    switch (section) {
      case Rank: return tr("Rank");
      case Trial: return tr("Trial");
      case Family: return tr("Family");
      case CvMean: return tr("CV %1").arg(metric);
      case CvSd: return tr("± sd");
      case Test: return tr("Test %1").arg(metric);
      case FitSeconds: return tr("Fit / fold");
      case PredictSeconds: return tr("Predict / fold");
      case Params: return tr("Hyperparameters");
      default: return {};
    }
  }
  if (role == Qt::ToolTipRole) {
    switch (section) {
      case Rank: return tr("The candidate's place by mean cross-validated score (1 is best).");
      case Trial: return tr("The search trial that produced the candidate.");
      case Family: return tr("The model family; the constant baseline is always listed.");
      case CvMean:
        return m_metricDescription.isEmpty()
                   ? tr("Mean score over the cross-validation folds (%1).").arg(direction)
                   : tr("%1 Mean over the cross-validation folds; %2.").arg(m_metricDescription, direction);
      case CvSd: return tr("Standard deviation of the score across folds: how much it varies with the data.");
      case Test: return tr("Score on the held-out test file, when one was given; never used to choose.");
      case FitSeconds: return tr("Mean time to fit the candidate on one fold's training rows.");
      case PredictSeconds: return tr("Mean time to predict one fold's validation rows.");
      case Params: return tr("The hyperparameters the search chose for this family.");
      default: return {};
    }
  }
  return {};
}

}  // namespace glasswing::studio
