#include "models/profiletablemodel.hpp"

#include <QFont>
#include <QLocale>
#include <QStringList>
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "automl/engine/run.hpp"
#include "palette.hpp"

namespace glasswing::studio {
namespace {

using data::ColumnProfile;
using data::ColumnType;

bool isTemporal(ColumnType type) { return type == ColumnType::Datetime || type == ColumnType::Date; }

double missingShare(const ColumnProfile& profile) {
  const auto total = profile.count + profile.missing;
  return total == 0 ? 0.0 : static_cast<double>(profile.missing) / static_cast<double>(total);
}

QColor typeColour(ColumnType type) {
  switch (type) {
    case ColumnType::Integer:
    case ColumnType::Float: return palette::blue();
    case ColumnType::Boolean: return palette::reddishPurple();
    case ColumnType::Categorical: return palette::bluishGreen();
    case ColumnType::Datetime:
    case ColumnType::Date: return palette::orange();
    case ColumnType::Text: return palette::skyBlue();
    case ColumnType::Id: return QColor(0x99, 0x99, 0x99);
  }
  return palette::black();
}

QString typeName(ColumnType type) {
  const auto name = data::to_string(type);
  return QString::fromUtf8(name.data(), static_cast<qsizetype>(name.size()));
}

QString countText(std::size_t value) { return QLocale().toString(static_cast<qulonglong>(value)); }

QString topValuesText(const ColumnProfile& profile, std::size_t limit) {
  QStringList parts;
  for (std::size_t i = 0; i < profile.top.size() && i < limit; ++i) {
    const auto& category = profile.top[i];
    parts << QStringLiteral("%1 (%2)").arg(QString::fromStdString(category.value),
                                           countText(category.count));
  }
  if (profile.distinct > limit && !parts.isEmpty()) parts << QStringLiteral("…");
  return parts.join(QStringLiteral(" · "));
}

std::optional<double> statistic(const ColumnProfile& profile, int column) {
  switch (column) {
    case ProfileTableModel::Min: return profile.min;
    case ProfileTableModel::Max: return profile.max;
    case ProfileTableModel::Mean: return profile.mean;
    case ProfileTableModel::Std: return profile.std;
    default: return std::nullopt;
  }
}

}  // namespace

ProfileTableModel::ProfileTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void ProfileTableModel::setProfiles(std::vector<data::ColumnProfile> profiles) {
  beginResetModel();
  m_profiles = std::move(profiles);
  m_overrides.clear();
  endResetModel();
}

QStringList ProfileTableModel::typeChoices() {
  QStringList names;
  for (const auto& name : engine::column_type_choices()) names << QString::fromStdString(name);
  return names;
}

QString ProfileTableModel::inferredType(int row) const {
  const auto* profile = profileAt(row);
  return profile == nullptr ? QString() : typeName(profile->type);
}

bool ProfileTableModel::isOverridden(int row) const {
  const auto* profile = profileAt(row);
  return profile != nullptr && m_overrides.count(profile->name) > 0;
}

QString ProfileTableModel::effectiveType(int row) const {
  const auto* profile = profileAt(row);
  if (profile == nullptr) return {};
  const auto it = m_overrides.find(profile->name);
  return it == m_overrides.end() ? typeName(profile->type) : QString::fromStdString(it->second);
}

bool ProfileTableModel::setTypeOverride(int row, const QString& type) {
  const auto* profile = profileAt(row);
  if (profile == nullptr || !typeChoices().contains(type)) return false;
  if (type == typeName(profile->type)) {
    m_overrides.erase(profile->name);
  } else {
    m_overrides[profile->name] = type.toStdString();
  }
  emit dataChanged(index(row, Type), index(row, Type));
  return true;
}

void ProfileTableModel::resetType(int row) {
  const auto* profile = profileAt(row);
  if (profile == nullptr || m_overrides.erase(profile->name) == 0) return;
  emit dataChanged(index(row, Type), index(row, Type));
}

Qt::ItemFlags ProfileTableModel::flags(const QModelIndex& index) const {
  Qt::ItemFlags f = QAbstractTableModel::flags(index);
  if (index.isValid() && index.column() == Type) f |= Qt::ItemIsEditable;
  return f;
}

bool ProfileTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (!index.isValid() || index.column() != Type || role != Qt::EditRole) return false;
  return setTypeOverride(index.row(), value.toString());
}

void ProfileTableModel::clear() { setProfiles({}); }

const data::ColumnProfile* ProfileTableModel::profileAt(int row) const {
  if (row < 0 || static_cast<std::size_t>(row) >= m_profiles.size()) return nullptr;
  return &m_profiles[static_cast<std::size_t>(row)];
}

int ProfileTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_profiles.size());
}

int ProfileTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant ProfileTableModel::data(const QModelIndex& index, int role) const {
  const auto* profile = index.isValid() ? profileAt(index.row()) : nullptr;
  if (profile == nullptr) return {};
  const int column = index.column();
  switch (role) {
    case Qt::DisplayRole: return displayData(*profile, column);
    case Qt::EditRole:
      if (column == Type) return effectiveType(index.row());
      return displayData(*profile, column);
    case Qt::FontRole:
      if (column == Type && m_overrides.count(profile->name) > 0) {
        QFont font;
        font.setBold(true);
        return font;
      }
      return {};
    case SortRole: return sortData(*profile, column);
    case Qt::ToolTipRole: return toolTipData(*profile, column);
    case Qt::TextAlignmentRole:
      if (column == Name || column == Type || column == TopValues ||
          (isTemporal(profile->type) && column >= Min && column <= Mean)) {
        return QVariant::fromValue(Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
      }
      return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
    case Qt::DecorationRole:
      if (column == Type) return typeColour(profile->type);
      return {};
    case Qt::ForegroundRole:
      if ((column == Missing || column == MissingPercent) && profile->missing > 0) {
        return palette::warning();
      }
      return {};
    default: return {};
  }
}

QVariant ProfileTableModel::displayData(const ColumnProfile& profile, int column) const {
  switch (column) {
    case Name: return QString::fromStdString(profile.name);
    case Type: {
      const auto it = m_overrides.find(profile.name);
      return it == m_overrides.end() ? typeName(profile.type) : QString::fromStdString(it->second);
    }
    case Missing: return countText(profile.missing);
    case MissingPercent: {
      const double share = missingShare(profile);
      if (profile.missing == 0) return QStringLiteral("0 %");
      // Never round a real share of missing cells down to "0".
      const int decimals = share * 100.0 < 0.1 ? 2 : 1;
      return QStringLiteral("%1 %").arg(QLocale().toString(share * 100.0, 'f', decimals));
    }
    case Distinct: return countText(profile.distinct);
    case Min:
    case Max:
    case Mean: {
      const auto value = statistic(profile, column);
      return value ? formatValue(profile, *value) : QString();
    }
    case Std: {
      if (!profile.std) return QString();
      if (isTemporal(profile.type)) {
        return QStringLiteral("%1 days").arg(formatNumber(*profile.std / 86400.0));
      }
      return formatNumber(*profile.std);
    }
    case TopValues: return topValuesText(profile, 3);
    default: return {};
  }
}

QVariant ProfileTableModel::sortData(const ColumnProfile& profile, int column) const {
  switch (column) {
    case Name: return QString::fromStdString(profile.name).toLower();
    case Type: return displayData(profile, Type);
    case Missing: return static_cast<qulonglong>(profile.missing);
    case MissingPercent: return missingShare(profile);
    case Distinct: return static_cast<qulonglong>(profile.distinct);
    case Min:
    case Max:
    case Mean:
    case Std: {
      const auto value = statistic(profile, column);
      // Columns without the statistic sort before every number.
      return value ? *value : -std::numeric_limits<double>::infinity();
    }
    case TopValues: return topValuesText(profile, 3);
    default: return {};
  }
}

QVariant ProfileTableModel::toolTipData(const ColumnProfile& profile, int column) const {
  switch (column) {
    case Name:
      return QStringLiteral("%1\n%2 values, %3 missing")
          .arg(QString::fromStdString(profile.name), countText(profile.count),
               countText(profile.missing));
    case Type: {
      const QString inferred = profile.type_reason.empty()
                                   ? typeName(profile.type)
                                   : QStringLiteral("%1: %2").arg(typeName(profile.type),
                                                                  QString::fromStdString(profile.type_reason));
      const auto it = m_overrides.find(profile.name);
      if (it == m_overrides.end()) return inferred + tr("\nDouble-click to choose another type for the run.");
      return tr("%1 (override): the run reads this column as %1.\nInferred %2\nRight-click ▸ Reset type to undo.")
          .arg(QString::fromStdString(it->second), inferred);
    }
    case TopValues: {
      if (profile.top.empty()) return {};
      QString text = QStringLiteral("Most frequent values of %1:")
                         .arg(QString::fromStdString(profile.name));
      for (const auto& category : profile.top) {
        text += QStringLiteral("\n%1: %2").arg(QString::fromStdString(category.value),
                                              countText(category.count));
      }
      return text;
    }
    default: return {};
  }
}

QVariant ProfileTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  if (role == Qt::DisplayRole) {
    switch (section) {
      case Name: return tr("Column");
      case Type: return tr("Type");
      case Missing: return tr("Missing");
      case MissingPercent: return tr("Missing %");
      case Distinct: return tr("Distinct");
      case Min: return tr("Min");
      case Max: return tr("Max");
      case Mean: return tr("Mean");
      case Std: return tr("Std");
      case TopValues: return tr("Top values");
      default: return {};
    }
  }
  if (role == Qt::ToolTipRole) {
    switch (section) {
      case Name: return tr("Column name, as in the file's header");
      case Type: return tr("Inferred type (bold: your override); hover a cell to see why, double-click to change it");
      case Missing: return tr("Cells that are blank or an NA token");
      case MissingPercent: return tr("Share of rows whose cell is missing");
      case Distinct: return tr("Distinct non-missing values");
      case Min: return tr("Smallest value (numeric and date columns)");
      case Max: return tr("Largest value (numeric and date columns)");
      case Mean: return tr("Arithmetic mean (numeric and date columns)");
      case Std: return tr("Sample standard deviation (n − 1)");
      case TopValues: return tr("Most frequent values with their counts (categorical columns)");
      default: return {};
    }
  }
  if (role == Qt::TextAlignmentRole) {
    const bool left = section == Name || section == Type || section == TopValues;
    return QVariant::fromValue(Qt::Alignment((left ? Qt::AlignLeft : Qt::AlignRight) |
                                             Qt::AlignVCenter));
  }
  return {};
}

QString ProfileTableModel::formatNumber(double value) {
  if (std::isnan(value)) return QStringLiteral("NaN");
  if (std::isinf(value)) return value > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
  const double magnitude = std::fabs(value);
  // No group separators in statistics: a year reads 2007, not 2,007.
  QLocale locale;
  locale.setNumberOptions(QLocale::OmitGroupSeparator);
  if (magnitude == 0.0) return QStringLiteral("0");
  if (magnitude >= 1e9 || magnitude < 1e-3) return locale.toString(value, 'g', 3);
  if (magnitude >= 1e4 || value == std::round(value)) return locale.toString(value, 'f', 0);
  // About four significant digits, without an exponent.
  const int decimals = std::max(0, 3 - static_cast<int>(std::floor(std::log10(magnitude))));
  QString text = locale.toString(value, 'f', decimals);
  // Trailing zeros carry no information here ("5.500" -> "5.5").
  const QChar point = locale.decimalPoint().front();
  if (text.contains(point)) {
    while (text.endsWith(QLatin1Char('0'))) text.chop(1);
    if (text.endsWith(point)) text.chop(1);
  }
  return text;
}

QString ProfileTableModel::formatValue(const data::ColumnProfile& profile, double value) {
  if (isTemporal(profile.type) && std::isfinite(value)) {
    // Whole seconds: a mean date "…06:57:39.258" claims precision nobody needs.
    return QString::fromStdString(
        data::format_epoch_seconds(std::round(value), profile.type == ColumnType::Date));
  }
  return formatNumber(value);
}

}  // namespace glasswing::studio
