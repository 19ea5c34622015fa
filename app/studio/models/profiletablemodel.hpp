#pragma once
// ProfileTableModel: one row per column of the loaded table, one column per profile statistic
// (the schema and profile part of the data panel, P4). An adapter over the engine's plain
// ColumnProfile structs; all statistics come from the engine. The Type column is editable: a
// type set there is the user's override for the run (engine::RunSettings::column_types, one of
// engine::column_type_choices()); overridden types are shown in bold, "(override)" in the tooltip.

#include <QAbstractTableModel>
#include <QStringList>
#include <map>
#include <string>
#include <vector>

#include "automl/data/profile.hpp"

namespace glasswing::studio {

class ProfileTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { Name, Type, Missing, MissingPercent, Distinct, Min, Max, Mean, Std, TopValues,
                ColumnCount };
  // Raw value for sorting: a double for numeric columns, the text otherwise.
  static constexpr int SortRole = Qt::UserRole + 1;

  explicit ProfileTableModel(QObject* parent = nullptr);

  // A new table: its inferred types, no overrides.
  void setProfiles(std::vector<data::ColumnProfile> profiles);
  void clear();

  // The types a column can be given (the engine's column_type_choices()).
  static QStringList typeChoices();
  // Sets the type of the column at `row` (a name of typeChoices()); the inferred type itself
  // removes the override. False for a bad row or type.
  bool setTypeOverride(int row, const QString& type);
  void resetType(int row);
  // The inferred type / the type the run will use (the override when there is one).
  QString inferredType(int row) const;
  QString effectiveType(int row) const;
  bool isOverridden(int row) const;
  // The overrides as the engine takes them (column name -> type).
  std::map<std::string, std::string> typeOverrides() const { return m_overrides; }

  Qt::ItemFlags flags(const QModelIndex& index) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
  const std::vector<data::ColumnProfile>& profiles() const { return m_profiles; }
  // nullptr when `row` is out of range.
  const data::ColumnProfile* profileAt(int row) const;

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

  // How the Studio writes a statistic of a column of this type (dates as ISO 8601, numbers with
  // about four significant digits). Public for the chart and the tests.
  static QString formatNumber(double value);
  static QString formatValue(const data::ColumnProfile& profile, double value);

 private:
  QVariant displayData(const data::ColumnProfile& profile, int column) const;
  QVariant sortData(const data::ColumnProfile& profile, int column) const;
  QVariant toolTipData(const data::ColumnProfile& profile, int column) const;

  std::vector<data::ColumnProfile> m_profiles;
  std::map<std::string, std::string> m_overrides;
};

}  // namespace glasswing::studio
